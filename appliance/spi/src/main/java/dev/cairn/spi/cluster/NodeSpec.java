package dev.cairn.spi.cluster;

/** One node of the cluster as the host needs to know it: its name and IP address. */
public record NodeSpec(String name, String address) {
}
