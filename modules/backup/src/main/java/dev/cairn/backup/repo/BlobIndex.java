package dev.cairn.backup.repo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The in-memory index of known blobs: id -> (pack, offset, length, raw length). An open-addressing
 * hash table in one {@code long[]}, six longs (48 bytes) per slot, filled up to 85 %: sized from
 * the index files when loaded, about 57 bytes per blob (10 M chunks in about 570 MB); growing by
 * 25 % while a backup adds blobs. No object per entry. Thread-safe (synchronized;
 * lookups are a few probes).
 */
public final class BlobIndex {

    private static final int W = 6;
    private static final double MAX_LOAD = 0.85;

    private long[] slots;
    private int capacity;
    private int size;
    private final List<byte[]> packs = new ArrayList<>();
    private final java.util.HashMap<String, Integer> packNumbers = new java.util.HashMap<>();
    private final List<Long> packSizes = new ArrayList<>();

    /** Where one blob is stored. */
    public record Location(byte[] pack, long offset, int length, int rawLength) {
        public String packHex() {
            return Wire.hex(pack);
        }
    }

    public BlobIndex(int expected) {
        capacity = Math.max(16, (int) (expected / MAX_LOAD) + 1);
        slots = new long[capacity * W];
    }

    /** The table's bytes when made for {@code expected} entries. */
    static long bytesFor(long expected) {
        return Math.max(16, (long) (expected / MAX_LOAD) + 1) * W * 8;
    }

    public synchronized int size() {
        return size;
    }

    /** Heap bytes used by the table itself. */
    public synchronized long tableBytes() {
        return (long) slots.length * 8;
    }

    public synchronized int packNumber(byte[] packId, long packSize) {
        String k = Wire.hex(packId);
        Integer n = packNumbers.get(k);
        if (n != null) return n;
        packs.add(packId.clone());
        packSizes.add(packSize);
        packNumbers.put(k, packs.size() - 1);
        return packs.size() - 1;
    }

    public synchronized List<byte[]> packs() {
        return new ArrayList<>(packs);
    }

    public synchronized boolean hasPack(String hex) {
        return packNumbers.containsKey(hex);
    }

    public synchronized long packSize(String hex) {
        Integer n = packNumbers.get(hex);
        return n == null ? -1 : packSizes.get(n);
    }

    private static long word(byte[] id, int i) {
        return word(id, 0, i);
    }

    private static long word(byte[] a, int off, int i) {
        long v = 0;
        for (int j = 0; j < 8; j++) v = (v << 8) | (a[off + i * 8 + j] & 0xFF);
        return v;
    }

    private int home(long w0) {
        // ids are HMAC outputs: any 32 bits are uniform. Multiply-shift maps them onto capacity.
        return (int) (((w0 >>> 32) * (long) capacity) >>> 32);
    }

    /** Adds a location unless the id is known; returns true when added. */
    public synchronized boolean add(byte[] id, int pack, long offset, int length, int rawLength) {
        return add(id, 0, pack, offset, length, rawLength);
    }

    /** {@link #add(byte[], int, long, int, int)} with the 32-byte id at {@code a[off]} (no copy). */
    public synchronized boolean add(byte[] a, int off, int pack, long offset, int length, int rawLength) {
        if (find(a, off) >= 0) return false;
        if (size + 1 > capacity * MAX_LOAD) grow();
        long w0 = word(a, off, 0), w1 = word(a, off, 1), w2 = word(a, off, 2), w3 = word(a, off, 3);
        int i = home(w0);
        while (true) {
            int b = i * W;
            long meta = slots[b + 4];
            if (meta == 0) {
                slots[b] = w0;
                slots[b + 1] = w1;
                slots[b + 2] = w2;
                slots[b + 3] = w3;
                slots[b + 4] = ((long) (pack + 1) << 32) | (offset & 0xFFFFFFFFL);
                slots[b + 5] = ((long) length << 32) | (rawLength & 0xFFFFFFFFL);
                size++;
                return true;
            }
            if (slots[b] == w0 && slots[b + 1] == w1 && slots[b + 2] == w2 && slots[b + 3] == w3) return false;
            if (++i == capacity) i = 0;
        }
    }

    private int find(byte[] id) {
        return find(id, 0);
    }

    private int find(byte[] a, int off) {
        long w0 = word(a, off, 0), w1 = word(a, off, 1), w2 = word(a, off, 2), w3 = word(a, off, 3);
        int i = home(w0);
        while (true) {
            int b = i * W;
            if (slots[b + 4] == 0) return -1;
            if (slots[b] == w0 && slots[b + 1] == w1 && slots[b + 2] == w2 && slots[b + 3] == w3) return b;
            if (++i == capacity) i = 0;
        }
    }

    public synchronized boolean contains(byte[] id) {
        return find(id) >= 0;
    }

    /** Whether the 32-byte id at {@code a[off]} is known. */
    public synchronized boolean contains(byte[] a, int off) {
        return find(a, off) >= 0;
    }

    public synchronized Location get(byte[] id) {
        int b = find(id);
        if (b < 0) return null;
        int pack = (int) (slots[b + 4] >>> 32) - 1;
        return new Location(packs.get(pack), slots[b + 4] & 0xFFFFFFFFL, (int) (slots[b + 5] >>> 32), (int) slots[b + 5]);
    }

    /**
     * Where a blob is stored as one sortable number (pack number, then offset), or
     * {@link Long#MAX_VALUE} when unknown: a restore reads files in this order.
     */
    public synchronized long position(byte[] id) {
        int b = find(id);
        return b < 0 ? Long.MAX_VALUE : slots[b + 4];
    }

    /** Calls {@code f} with every (id, location); ids are fresh arrays. */
    public synchronized void forEach(java.util.function.BiConsumer<byte[], Location> f) {
        for (int i = 0; i < capacity; i++) {
            int b = i * W;
            if (slots[b + 4] == 0) continue;
            byte[] id = new byte[32];
            for (int w = 0; w < 4; w++) {
                long v = slots[b + w];
                for (int j = 7; j >= 0; j--) {
                    id[w * 8 + j] = (byte) v;
                    v >>>= 8;
                }
            }
            int pack = (int) (slots[b + 4] >>> 32) - 1;
            f.accept(id, new Location(packs.get(pack), slots[b + 4] & 0xFFFFFFFFL, (int) (slots[b + 5] >>> 32), (int) slots[b + 5]));
        }
    }

    public void forEachId(Consumer<byte[]> f) {
        forEach((id, loc) -> f.accept(id));
    }

    private void grow() {
        long[] old = slots;
        int oldCap = capacity;
        capacity = (int) Math.min(Integer.MAX_VALUE / W - 1, (long) (oldCap * 1.25) + 16);
        slots = new long[capacity * W];
        for (int i = 0; i < oldCap; i++) {
            int b = i * W;
            if (old[b + 4] == 0) continue;
            int j = home(old[b]);
            while (slots[j * W + 4] != 0) {
                if (++j == capacity) j = 0;
            }
            System.arraycopy(old, b, slots, j * W, W);
        }
    }
}
