package dev.cairn.replication.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.flavour.Dialect;
import dev.cairn.replication.flavour.RecordedRows;
import dev.cairn.replication.flavour.ServerVersion;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.topology.Finding;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.Role;
import dev.cairn.replication.topology.TopologySnapshot;
import dev.cairn.spi.config.HostPort;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The heartbeat goes to a writable primary that replicates from nobody, and nowhere else. */
class HeartbeatTargetTest {

    static final ServerVersion V = ServerVersion.parse("10.11.19-MariaDB", "");

    static NodeView node(Role role, boolean up, boolean readOnly, boolean replicating) {
        NodeState s = up
                ? new NodeState("db1", HostPort.parse("10.0.0.1:3306"), Instant.EPOCH, Reach.UP, null, 0.001, V, 1L, null, readOnly,
                true, true, "0-1-5", "", replicating ? List.of(Dialect.of(ServerVersion.parse("8.4.3", "")).channel(RecordedRows.mysql84Replica()))
                : List.of(), true, Map.of(), Map.of(), null, List.of())
                : NodeState.failed("db1", HostPort.parse("10.0.0.1:3306"), Instant.EPOCH, Reach.DOWN, "CAIRN-REPLICATION-0001 down", 0.001);
        return new NodeView("db1", s.address(), role, s, null, null, false, false);
    }

    static TopologySnapshot snap(NodeView v) {
        return new TopologySnapshot("main", 1, Instant.EPOCH, "db1", List.of(v), List.of(), Set.of());
    }

    @Test
    void onlyAWritableReachablePrimaryThatReplicatesFromNobodyGetsTheHeartbeat() {
        assertThat(HeartbeatWriter.target(snap(node(Role.PRIMARY, true, false, false)))).isNotNull();
        assertThat(HeartbeatWriter.target(snap(node(Role.PRIMARY, true, true, false)))).as("read_only").isNull();
        assertThat(HeartbeatWriter.target(snap(node(Role.PRIMARY, false, false, false)))).as("down").isNull();
        assertThat(HeartbeatWriter.target(snap(node(Role.PRIMARY, true, false, true)))).as("replicating").isNull();
        assertThat(HeartbeatWriter.target(null)).isNull();
        assertThat(HeartbeatWriter.target(new TopologySnapshot("main", 1, Instant.EPOCH, null,
                List.of(node(Role.STANDALONE, true, false, false)), List.of(), Set.of()))).as("no primary").isNull();
    }

    @Test
    void findingIdsAreUnique() {
        Set<String> ids = new HashSet<>();
        for (Finding.Kind k : Finding.Kind.values()) {
            assertThat(ids.add(k.id())).as(k + " " + k.id()).isTrue();
            assertThat(k.id()).matches("CAIRN-REPLICATION-01\\d\\d");
        }
    }
}
