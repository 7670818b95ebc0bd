package dev.cairn.core.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.spi.cluster.ClusterMembership;
import dev.cairn.spi.cluster.NodeSpec;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeIdentityTest {

    private static ClusterMembership cluster(NodeSpec... nodes) {
        return new ClusterMembership() {
            @Override public String clusterName() { return "c"; }
            @Override public List<NodeSpec> members() { return List.of(nodes); }
        };
    }

    @Test
    void theNodeWhoseAddressIsLocalIsThisNode() throws Exception {
        ClusterMembership c = cluster(new NodeSpec("n1", "10.0.0.1"), new NodeSpec("n2", "10.0.0.2"));
        assertThat(NodeIdentity.resolve(c, null, Set.of(InetAddress.getByName("10.0.0.2")))).isEqualTo("n2");
    }

    @Test
    void explicitNodeWins() throws Exception {
        ClusterMembership c = cluster(new NodeSpec("n1", "10.0.0.1"), new NodeSpec("n2", "10.0.0.2"));
        assertThat(NodeIdentity.resolve(c, "n1", Set.of(InetAddress.getByName("10.0.0.2")))).isEqualTo("n1");
    }

    @Test
    void noOrSeveralLocalMatchesAskForNode() throws Exception {
        ClusterMembership c = cluster(new NodeSpec("n1", "10.0.0.1"), new NodeSpec("n2", "10.0.0.2"));
        assertThatThrownBy(() -> NodeIdentity.resolve(c, null, Set.of(InetAddress.getByName("192.0.2.9"))))
                .hasMessage("none of the cluster.nodes addresses is on this machine; start with --node NAME");
        assertThatThrownBy(() -> NodeIdentity.resolve(c, null,
                Set.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"))))
                .hasMessage("several cluster.nodes addresses are on this machine (n1, n2); start with --node NAME");
    }

    @Test
    void loopbackIsFoundAmongTheRealInterfaces() throws Exception {
        ClusterMembership c = cluster(new NodeSpec("far", "192.0.2.77"), new NodeSpec("here", "127.0.0.1"));
        assertThat(NodeIdentity.resolve(c, null)).isEqualTo("here");
    }

    @Test
    void withoutAClusterTheHostNameIsUsed() throws Exception {
        assertThat(NodeIdentity.resolve(null, null, Set.of())).isEqualTo(NodeIdentity.hostName()).isNotBlank();
    }
}
