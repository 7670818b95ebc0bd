package dev.cairn.cluster.vip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.DriverConfig;
import dev.cairn.cluster.VipConfig;
import dev.cairn.core.testing.TestHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which arping the Linux driver detects and the exact command it runs at a takeover. Debian's
 * {@code arping} package (Thomas Habets') conflicts with iputils-arping, so it cannot be installed
 * beside it: a stub stands in for each, answering {@code -V}, {@code -h} and {@code --help} as the
 * real one does and recording the argv of any other call.
 */
class ArpingTest {

    @TempDir
    Path dir;

    /** arping from iputils 20221126 (Debian 12's iputils-arping), its own output. */
    static final String IPUTILS_V = """
            arping from iputils 20221126
            libcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes
            """;
    static final String IPUTILS_HELP = """

            Usage:
              arping [options] <destination>

            Options:
              -f            quit on first reply
              -q            be quiet
              -b            keep on broadcasting, do not unicast
              -D            duplicate address detection mode
              -U            unsolicited ARP mode, update your neighbours
              -A            ARP answer mode, update your neighbours
              -V            print version and exit
              -c <count>    how many packets to send
              -w <timeout>  how long to wait for a reply
              -i <interval> set interval between packets (default: 1 second)
              -I <device>   which ethernet device to use
              -s <source>   source ip address
              <destination> dns name or ip address

            For more details see arping(8).
            """;
    /** Habets' arping 2.2x (Debian's arping package): standard_usage() of src/arping.c. */
    static final String HABETS_USAGE = """
            ARPing 2.23, by Thomas Habets <thomas@habets.se>
            usage: arping [ -0aAbdDeFpPqrRuUv ] [ -w <sec> ] [ -W <sec> ] [ -S <host/ip> ]
                          [ -T <host/ip ] [ -s <MAC> ] [ -t <MAC> ] [ -c <count> ]
                          [ -C <count> ] [ -i <interface> ] [ -m <type> ] [ -g <group> ]
                          [ -V <vlan> ] [ -Q <priority> ] <host/ip/MAC | -B>
            """;
    /** The part of its extended usage (--help) that matters here. */
    static final String HABETS_OPTIONS = """

            Options:

                -c count
                       Only send count requests.
                -i interface
                       Use the specified interface.
                -q     Does not display messages, except error messages.
                -S IP  Like  -b and -0 but with set source address.
                -U     Send unsolicited ARP.
                -V num 802.1Q tag to add. Defaults to no VLAN tag.
                -w sec Specify a timeout before ping exits regardless of how many
                       packets have been sent or received.
                -W sec Time to wait between pings.
            Report bugs to: thomas@habets.se
            """;

    /** A stub arping answering {@code -V}, {@code -h}, {@code --help} with the given text; any other call records its argv. */
    Path stub(String name, String onV, int vExit, String onH, String onHelp, int helpExit) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        Files.writeString(d.resolve("V.txt"), onV);
        Files.writeString(d.resolve("h.txt"), onH);
        Files.writeString(d.resolve("help.txt"), onHelp);
        Path s = d.resolve("arping");
        Files.writeString(s, """
                #!/bin/sh
                d=$(dirname "$0")
                case "$1" in
                  -V) [ "$#" -eq 1 ] && { cat "$d/V.txt"; exit %d; } ;;
                  -h) cat "$d/h.txt"; exit 0 ;;
                  --help) cat "$d/help.txt"; exit %d ;;
                esac
                printf '%%s\\0' "$@" > "$d/argv.tmp" && mv "$d/argv.tmp" "$d/argv"
                """.formatted(vExit, helpExit));
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        return s;
    }

    static List<String> argvOfTakeover(Path arping) throws Exception {
        DriverConfig config = new DriverConfig(DriverConfig.DriverType.LINUX, null, null, 5,
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10));
        VipConfig vip = new VipConfig("10.99.0.100/24", "eth0", List.of(), null);
        Path argv = arping.resolveSibling("argv");
        LinuxVipDriver driver = new LinuxVipDriver(config, arping.toString());
        try {
            // The burst acquire() sends after ip addr add (announce is that call).
            driver.announce(vip);
            TestHost.await(Duration.ofSeconds(20), "the stub arping was run", () -> Files.exists(argv));
        } finally {
            driver.close();
        }
        String recorded = Files.readString(argv, StandardCharsets.UTF_8);
        return Arrays.asList(recorded.substring(0, recorded.length() - 1).split("\0", -1));
    }

    @Test
    void iputilsIsDetectedAndSendsTheBurstAtOnce() throws Exception {
        Path arping = stub("iputils", IPUTILS_V, 0, IPUTILS_HELP, "arping: unrecognized option '--help'\n" + IPUTILS_HELP, 2);
        assertThat(Arping.detect(arping.toString())).isEqualTo(Arping.IPUTILS);
        assertThat(argvOfTakeover(arping)).containsExactly("-q", "-U", "-c", "5", "-i", "0", "-w", "2", "-I", "eth0", "10.99.0.100");
    }

    @Test
    void olderIputilsWithoutIntervalOptionWaitsForItsOnePerSecondBurst() throws Exception {
        String help = IPUTILS_HELP.replace("  -i <interval> set interval between packets (default: 1 second)\n", "");
        Path arping = stub("iputils-old", "arping utility, iputils-s20161105\n", 0, help, help, 2);
        assertThat(Arping.detect(arping.toString())).isEqualTo(Arping.IPUTILS_NO_INTERVAL);
        assertThat(argvOfTakeover(arping)).containsExactly("-q", "-U", "-c", "5", "-w", "6", "-I", "eth0", "10.99.0.100");
    }

    @Test
    void debiansHabetsArpingIsDetectedAndGetsItsOwnFlags() throws Exception {
        // Habets' -V takes a VLAN number: alone, it is a usage error (getopt's message, then the usage, exit 1).
        Path arping = stub("habets", "arping: option requires an argument -- 'V'\n" + HABETS_USAGE
                + "For complete usage info, use --help or check the manpage.\n", 1, HABETS_USAGE, HABETS_USAGE + HABETS_OPTIONS, 0);
        assertThat(Arping.detect(arping.toString())).isEqualTo(Arping.HABETS);
        // -i is the interface here (iputils' -I), -S the source; -U sends the unsolicited ARP for it.
        assertThat(argvOfTakeover(arping)).containsExactly("-q", "-U", "-c", "5", "-i", "eth0", "-S", "10.99.0.100", "10.99.0.100");
    }

    @Test
    void theInstalledArpingIsIputils() {
        // What CI and the lab run with (iputils-arping in scripts/packages.txt).
        assertThat(Arping.detect()).isEqualTo(Arping.IPUTILS);
    }

    @Test
    void noArpingIsMissing() {
        assertThat(Arping.detect(dir.resolve("no-such-arping").toString())).isEqualTo(Arping.MISSING);
    }
}
