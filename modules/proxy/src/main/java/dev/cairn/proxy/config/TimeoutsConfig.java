package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import java.time.Duration;

/** {@code proxy.timeouts}: HAProxy's timeouts with its commonly recommended values. */
public record TimeoutsConfig(
        @Doc(value = "Time to open a connection to an endpoint before trying another (HAProxy timeout connect).", dflt = "5s")
        Duration connect,
        @Doc(value = "Time an endpoint has to send the whole response before 504 (HAProxy timeout server).", dflt = "60s")
        Duration server,
        @Doc(value = "A client connection idle this long is closed (HAProxy timeout client).", dflt = "60s", restart = true)
        Duration client,
        @Doc(value = "Time a client has to send the request headers: the slowloris guard (HAProxy timeout http-request).", dflt = "10s", restart = true)
        Duration httpRequest,
        @Doc(value = "Idle keep-alive connection between two requests is closed after this (HAProxy timeout http-keep-alive).", dflt = "10s", restart = true)
        Duration keepAlive,
        @Doc(value = "Time a request may wait for a free endpoint slot before 503 (HAProxy timeout queue).", dflt = "5s")
        Duration queue,
        @Doc(value = "On reload or stop, how long in-flight requests to removed endpoints may take.", dflt = "30s")
        Duration drain) {

    public TimeoutsConfig {
        if (connect.isZero() || server.isZero() || queue.isZero()) {
            throw new IllegalArgumentException("connect, server and queue timeouts must be above 0");
        }
    }
}
