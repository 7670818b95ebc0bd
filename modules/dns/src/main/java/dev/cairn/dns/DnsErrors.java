package dev.cairn.dns;

import dev.cairn.spi.error.ErrorId;

/** The DNS module's error ids. */
public enum DnsErrors implements ErrorId {
    ZONE_INVALID("CAIRN-DNS-0001", "A zone has problems (syntax, SOA or NS missing at the apex, CNAME beside other data...): cairn check or the reload reports them with the zone file's name and line.",
            "Fix the zone file or the inline records at the line given; a rejected reload keeps the old zones serving."),
    ZONE_FILE_NOT_LOADED("CAIRN-DNS-0002", "An edited zone file was not loaded (it fails to parse or check): the previous version keeps serving.",
            "Fix the file at the line given; it is picked up within zone_reload_interval. cairn_dns_zone_reloads_total{result=\"failure\"} counts these."),
    TSIG_KEY_UNUSABLE("CAIRN-DNS-0003", "A TSIG key's secret_file cannot be read or holds no valid base64 secret.",
            "Check the file's path and permissions and that it holds the base64 secret (or a BIND key file)."),
    NOTIFY_FAILED("CAIRN-DNS-0004", "A NOTIFY to a secondary was not acknowledged after its retries.",
            "Check that the secondary listens on the address in also_notify and accepts NOTIFY (and the TSIG key) from this node; it still refreshes on its SOA timer."),
    TSIG_CHECK_FAILED("CAIRN-DNS-0005", "A request's TSIG signature did not verify (unknown key, wrong secret, clock skew): answered NOTAUTH.",
            "Compare the key name, algorithm and secret on both sides, and the clocks (TSIG allows 300 s of skew)."),
    TRANSFER_REFUSED("CAIRN-DNS-0006", "A zone transfer (AXFR/IXFR) was refused: the client is not in allow_transfer or did not sign with transfer_key.",
            "Add the secondary's address to allow_transfer, or configure it with the zone's transfer_key."),
    LISTENER_REQUEST_FAILED("CAIRN-DNS-0007", "A request failed inside a UDP or TCP listener (or a UDP listener stopped): the listener goes on serving others.",
            "A bug if it repeats: report it with the log line. A stopped listener shows on the status page; a restart brings it back.");

    private final String id;
    private final String meaning;
    private final String action;

    DnsErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
