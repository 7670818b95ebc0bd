package dev.cairn.spi.command;

import java.io.IOException;
import java.util.Map;

/** Calls the running daemon's module actions: {@code /api/modules/{module}/{action}}. */
public interface AdminCall {

    /**
     * Sends {@code POST /api/modules/{module}/{action}} with {@code params} as the query string.
     *
     * @return the HTTP status and the JSON body as text
     * @throws IOException when the daemon cannot be reached (the message says where it looked)
     */
    Response post(String module, String action, Map<String, String> params) throws IOException;

    /** {@code GET /api/modules/{module}/{action}}. */
    Response get(String module, String action, Map<String, String> params) throws IOException;

    /** An answer of the admin API. */
    record Response(int status, String body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }
}
