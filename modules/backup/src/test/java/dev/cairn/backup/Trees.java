package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Builds real trees with every kind of entry the directory source handles, and compares trees with diff and find. */
final class Trees {

    private Trees() {
    }

    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
        return out;
    }

    static void random(Path p, long seed, int size) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Files.write(p, b);
    }

    static void text(Path p, int lines, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines; i++) b.append("2026-12-03T11:").append(r.nextInt(60)).append(" level=info msg=\"request ").append(r.nextInt(1000)).append(" served\"\n");
        Files.writeString(p, b);
    }

    /** Every kind of item 2 of the issue; FIFO excluded when {@code fifo} is false. */
    static void everyKind(Path root, boolean fifo) throws IOException, InterruptedException {
        Files.createDirectories(root.resolve("dir/sub/deeper"));
        Files.createDirectories(root.resolve("empty"));
        Files.writeString(root.resolve("small.txt"), "hello\n");
        Files.createFile(root.resolve("zero-length"));
        random(root.resolve("dir/random.bin"), 1, 3 * 1024 * 1024 + 17);
        text(root.resolve("dir/sub/app.log"), 40_000, 2);
        Files.writeString(root.resolve("dir/sub/deeper/ünïcødé ファイル.txt"), "names in UTF-8\n");
        Files.createSymbolicLink(root.resolve("link-rel"), Path.of("dir/sub/app.log"));
        Files.createSymbolicLink(root.resolve("link-abs"), Path.of("/etc/hostname"));
        Files.createSymbolicLink(root.resolve("link-dangling"), Path.of("does/not/exist"));
        Files.createLink(root.resolve("hardlink-a"), root.resolve("small.txt"));
        Files.createLink(root.resolve("dir/hardlink-b"), root.resolve("small.txt"));
        try (RandomAccessFile raf = new RandomAccessFile(root.resolve("sparse.img").toFile(), "rw")) {
            raf.setLength(16L * 1024 * 1024);
            raf.seek(5L * 1024 * 1024);
            raf.write("data in the middle".getBytes(StandardCharsets.UTF_8));
        }
        Path suid = root.resolve("setuid-prog");
        Files.writeString(suid, "#!/bin/sh\n");
        Path sticky = root.resolve("sticky-dir");
        Files.createDirectories(sticky);
        Path sgid = root.resolve("setgid-dir");
        Files.createDirectories(sgid);
        Files.writeString(root.resolve("owned"), "owned by 1234:5678\n");
        Files.setAttribute(root.resolve("owned"), "unix:uid", 1234);
        Files.setAttribute(root.resolve("owned"), "unix:gid", 5678);
        UserDefinedFileAttributeView x = Files.getFileAttributeView(root.resolve("small.txt"), UserDefinedFileAttributeView.class);
        x.write("comment", ByteBuffer.wrap("a user xattr".getBytes(StandardCharsets.UTF_8)));
        x.write("checksum", ByteBuffer.wrap("sha256:abc".getBytes(StandardCharsets.UTF_8)));
        String longName = "n".repeat(250);
        Path longDir = root;
        for (int i = 0; i < 6; i++) longDir = longDir.resolve(longName.substring(0, 200) + i);
        Files.createDirectories(longDir);
        Files.writeString(longDir.resolve(longName), "deep and long\n");
        if (fifo) sh("mkfifo", root.resolve("a-fifo").toString());
        Files.setLastModifiedTime(root.resolve("dir/random.bin"), FileTime.from(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)));
        Files.setAttribute(suid, "unix:mode", 04755);
        Files.setAttribute(sticky, "unix:mode", 01777);
        Files.setAttribute(sgid, "unix:mode", 02750);
    }

    /** diff -r --no-dereference must find nothing, and every entry's stat must match. */
    static void assertSameTree(Path a, Path b) throws IOException, InterruptedException {
        sh("diff", "-r", "--no-dereference", a.toString(), b.toString());
        String sa = stat(a), sb = stat(b);
        if (!sa.equals(sb)) {
            Path fa = Files.createTempFile("stat-a", ".txt"), fb = Files.createTempFile("stat-b", ".txt");
            Files.writeString(fa, sa);
            Files.writeString(fb, sb);
            Process p = new ProcessBuilder("diff", fa.toString(), fb.toString()).redirectErrorStream(true).start();
            String d = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            throw new AssertionError("stat differs (< source, > restored):\n" + d.replaceAll("n{40,}", "n…"));
        }
    }

    /** One line per entry: type, mode, uid, gid, size, mtime (ns), link count, path, link target. */
    static String stat(Path root) throws IOException, InterruptedException {
        String out = sh("find", root.toString(), "-mindepth", "1", "-printf", "%y|%m|%U|%G|%s|%T@|%n|%P|%l\\n");
        String[] lines = out.split("\n");
        java.util.Arrays.sort(lines);
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            String[] f = l.split("\\|", -1);
            // a directory's size depends on the file system's history, not its content
            if (f[0].equals("d")) f[4] = "-";
            // Java 17 sets a symlink's own times through lutimes(2): microseconds (README, "Limits")
            if (f[0].equals("l")) f[5] = f[5].substring(0, f[5].indexOf('.') + 7);
            b.append(String.join("|", f)).append('\n');
        }
        return b.toString();
    }
}
