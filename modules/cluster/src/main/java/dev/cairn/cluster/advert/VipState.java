package dev.cairn.cluster.advert;

/** A node's state for one VIP: VRRP's INIT / BACKUP / MASTER / FAULT, plus CLAIMING while a master waits for quorum. */
public enum VipState {
    INIT, BACKUP, CLAIMING, MASTER, FAULT;

    public String label() {
        return name();
    }
}
