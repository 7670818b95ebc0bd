package dev.cairn.core;

import dev.cairn.spi.error.ErrorId;

/** The host's error ids (CLI, lifecycle, catalog, admin API). */
public enum CoreErrors implements ErrorId {
    MODULE_START_FAILED("CAIRN-CORE-0001", "A module failed to start: Cairn stops what had started and exits.",
            "Read the message (often a port in use or a file that cannot be read), fix the config or the machine, start again."),
    RELOAD_REJECTED("CAIRN-CORE-0002", "A reload (SIGHUP, POST /api/reload, cairn reload) was rejected: the running config keeps serving.",
            "Run cairn check -c FILE for the file's errors, fix them and reload again; cairn_config_reload_success is 0 until then."),
    CONFIG_INVALID_AT_START("CAIRN-CORE-0003", "The config file has errors at start-up (one line per error, with file, line and key): Cairn does not start.",
            "Fix each error as reported (cairn check -c FILE lists them all) and start again."),
    NOT_STARTED("CAIRN-CORE-0004", "Cairn could not start (a module or the admin API failed).",
            "See the CAIRN-CORE-0001 line before it or the message; fix the cause and start again."),
    ADMIN_REQUEST_FAILED("CAIRN-CORE-0010", "An admin API request failed inside Cairn (answered 500).",
            "A bug: report it with the log line's stack trace. The request can be retried."),
    MODULE_ACTION_FAILED("CAIRN-CORE-0011", "A module's admin action (/api/modules/MODULE/ACTION, a module's CLI verb) failed.",
            "Read the message; the module's README says what the action needs. The module keeps running."),
    ADMIN_REQUEST_REFUSED("CAIRN-CORE-0012", "An admin request was refused before it was read: its Host names the listener by a "
            + "foreign DNS name (DNS rebinding), its Origin is another site, or a console form lacked its CSRF token.",
            "Use the listener's address or localhost, from the console's own pages; reload the console page if a form expired."),
    CONSOLE_SIGN_IN_FAILED("CAIRN-CORE-0013", "Someone signed in to the console with a wrong admin token.",
            "Use the token in admin.token_file; repeated lines from an address you do not know are someone guessing."),
    ENDPOINT_MARKED_DOWN("CAIRN-CORE-0020", "A module (the proxy's passive health) marked an endpoint DOWN in the catalog.",
            "Look at the endpoint's service: it needs its check's rise passing checks to be UP again."),
    MISSING_CAPABILITY("CAIRN-CORE-0030", "A module could not bind a port below 1024: the process lacks CAP_NET_BIND_SERVICE.",
            "Run Cairn from its systemd unit (which grants it), or grant it (setpriv/setcap, AmbientCapabilities=), or use a port from 1024 up."),
    STALE_PUBLICATION("CAIRN-CORE-0021", "A module-owned service's publication was refused: its epoch is older than the one published.",
            "Usually a node that missed a failover: check that every node runs the same config and that the cluster has a majority.");

    private final String id;
    private final String meaning;
    private final String action;

    CoreErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
