package dev.cairn.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.spi.config.ConfigChange;
import dev.cairn.spi.config.ConfigChange.Kind;
import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reload diff: which keys changed, each live or restart as its {@link Doc} says. */
class ConfigChangeTest {

    record Limits(@Doc("live") int queueSize, @Doc(value = "socket", restart = true) int maxConnections, @Doc("size") DataSize body) {
    }

    record Listener(@Doc(value = "bind", restart = true) HostPort bind, @Doc("name") String name) {
    }

    record Section(@Doc("limits") Limits limits, @Doc("listeners") List<Listener> listeners,
                   @Doc("zones") Map<String, String> zones, @Doc(value = "all restart", restart = true) Limits frozen) {
    }

    static Limits limits(int q, int max) {
        return new Limits(q, max, DataSize.parse("1MiB"));
    }

    static Map<String, String> zones(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static Section section(Limits l, List<Listener> ls, Map<String, String> z) {
        return new Section(l, ls, z, limits(1, 1));
    }

    final List<Listener> one = List.of(new Listener(HostPort.parse("127.0.0.1:80"), "web"));
    final Section base = section(limits(10, 0), one, zones("a.test", "x", "b.test", "y"));

    @Test
    void equalSectionsHaveNoChange() {
        assertThat(ConfigChange.between("s", base, section(limits(10, 0), one, zones("a.test", "x", "b.test", "y"))).isEmpty()).isTrue();
    }

    @Test
    void eachLeafKeyIsReportedWithItsOwnMarking() {
        ConfigChange c = ConfigChange.between("s", base, section(limits(11, 5), one, zones("a.test", "x", "b.test", "y")));
        assertThat(c.keys()).containsExactly(new ConfigChange.Key("s.limits.queue_size", Kind.LIVE),
                new ConfigChange.Key("s.limits.max_connections", Kind.RESTART));
        assertThat(c.under("s.limits").paths(Kind.RESTART)).containsExactly("s.limits.max_connections");
        assertThat(c.touches("s.limits")).isTrue();
        assertThat(c.touches("s.limits.queue_size")).isTrue();
        assertThat(c.touches("s.listeners")).isFalse();
    }

    @Test
    void valueTypesWrittenAsOneScalarAreOneKey() {
        ConfigChange c = ConfigChange.between("s", base, section(limits(10, 0),
                List.of(new Listener(HostPort.parse("127.0.0.1:81"), "web")), base.zones()));
        assertThat(c.keys()).containsExactly(new ConfigChange.Key("s.listeners[0].bind", Kind.RESTART));
    }

    @Test
    void aKeyUnderARestartKeyIsRestart() {
        Section next = new Section(base.limits(), one, base.zones(), limits(2, 1));
        assertThat(ConfigChange.between("s", base, next).keys())
                .containsExactly(new ConfigChange.Key("s.frozen.queue_size", Kind.RESTART));
    }

    @Test
    void mapEntriesAddedRemovedChangedAndReordered() {
        ConfigChange c = ConfigChange.between("s", base, section(limits(10, 0), one, zones("a.test", "z", "c.test", "y")));
        assertThat(c.paths(Kind.LIVE)).containsExactly("s.zones.a.test", "s.zones.b.test", "s.zones.c.test");
        ConfigChange reordered = ConfigChange.between("s", base, section(limits(10, 0), one, zones("b.test", "y", "a.test", "x")));
        assertThat(reordered.paths(Kind.LIVE)).containsExactly("s.zones");
    }

    @Test
    void aListThatGrowsIsOneKey() {
        ConfigChange c = ConfigChange.between("s", base, section(limits(10, 0),
                List.of(one.get(0), new Listener(HostPort.parse("127.0.0.1:81"), "api")), base.zones()));
        assertThat(c.keys()).containsExactly(new ConfigChange.Key("s.listeners", Kind.LIVE));
    }
}
