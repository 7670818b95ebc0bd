package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.failover.FailoverConfig.Durability;
import dev.cairn.replication.failover.FailoverConfig.Mode;
import dev.cairn.replication.failover.FailoverDecision.Ack;
import dev.cairn.replication.failover.FailoverDecision.Effect;
import dev.cairn.replication.failover.FailoverDecision.Observed;
import dev.cairn.replication.failover.FailoverDecision.Phase;
import dev.cairn.replication.failover.FailoverDecision.Promote;
import dev.cairn.replication.failover.FailoverDecision.RecoveryFinished;
import dev.cairn.replication.failover.FailoverDecision.Refuse;
import dev.cairn.replication.failover.FailoverDecision.Requested;
import dev.cairn.replication.failover.FailoverDecision.State;
import dev.cairn.replication.failover.FailoverDecision.Step;
import dev.cairn.replication.failover.Observation.Node;
import dev.cairn.replication.failover.Observation.SemiSync;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The failover decision in simulated time: fixed scenarios, then thousands of random schedules. */
class FailoverDecisionTest {

    static FailoverConfig cfg(Mode mode, Durability d, int confirm) {
        return new FailoverConfig(mode, d, 1, Duration.ofSeconds(30), Duration.ofMinutes(10), 2, confirm,
                Duration.ofSeconds(10), "repl", null, new FailoverConfig.PromotionConfig(List.of(), List.of("db4")), null);
    }

    /** What the world looks like in one round. */
    enum World {
        HEALTHY, PRIMARY_DEAD, UNREACHABLE_PRIMARY, SQL_STOPPED, TOO_MANY_CONNECTIONS, CAIRN_ISOLATED,
        SEMI_SYNC_FELL_BACK, DEAD_BUT_CODE_WRONG, DEAD_AND_DB3_AWAY
    }

    static Node node(String name, boolean reachable, boolean replica, boolean io, boolean sql, String received,
                     Double lag, SemiSync ss) {
        return new Node(name, "10.0.0." + name.charAt(2), 3306, reachable, replica, io, sql, null, 0, true, false, false,
                lag, GtidPosition.parse(received), GtidPosition.parse(received), !replica, ss);
    }

    static Observation round(long t, World w) {
        if (w == World.DEAD_AND_DB3_AWAY) {
            return deadWithDb3Away(t);
        }
        boolean primaryReach = switch (w) {
            case HEALTHY, SQL_STOPPED, SEMI_SYNC_FELL_BACK -> true;
            default -> false;
        };
        boolean replicasReach = w != World.CAIRN_ISOLATED;
        boolean replicasIo = switch (w) {
            case PRIMARY_DEAD, DEAD_BUT_CODE_WRONG -> false;
            default -> true;
        };
        String code = switch (w) {
            case PRIMARY_DEAD -> Observation.DEAD_PRIMARY;
            case UNREACHABLE_PRIMARY, TOO_MANY_CONNECTIONS -> Observation.UNREACHABLE_PRIMARY;
            case CAIRN_ISOLATED -> "AllNodesUnreachable";
            case SQL_STOPPED -> "ReplicationStopped";
            case DEAD_BUT_CODE_WRONG -> Observation.UNREACHABLE_PRIMARY;
            default -> Observation.NO_PROBLEM;
        };
        SemiSync ss = w == World.SEMI_SYNC_FELL_BACK ? SemiSync.FELL_BACK : SemiSync.ON;
        return new Observation(t, code, "db1", List.of(
                node("db1", primaryReach, false, false, false, "0-1-100", null, ss),
                node("db2", replicasReach, true, replicasIo, w != World.SQL_STOPPED, "0-1-100", 0.2, SemiSync.NOT_CONFIGURED),
                node("db3", replicasReach, true, replicasIo, true, "0-1-99", 0.5, SemiSync.NOT_CONFIGURED),
                node("db4", replicasReach, true, replicasIo, true, "0-1-100", 0.1, SemiSync.NOT_CONFIGURED)));
    }

    static List<Promote> promotes(Step s) {
        return s.effects().stream().filter(Promote.class::isInstance).map(Promote.class::cast).toList();
    }

    static boolean refused(Step s) {
        return s.effects().stream().anyMatch(Refuse.class::isInstance);
    }

    @Test
    void confirmedDeadPrimaryPromotesTheMostAdvancedReplicaNotNeverListed() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 3));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        Step st = d.step(s, new Observed(round(1000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).isEmpty();
        st = d.step(st.state(), new Observed(round(2000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).isEmpty();
        st = d.step(st.state(), new Observed(round(3000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).hasSize(1);
        FailoverDecision.Plan plan = promotes(st).get(0).plan();
        assertThat(plan.candidates()).extracting(Node::name).containsExactly("db2", "db3");
        assertThat(plan.skipped()).extracting(CandidateRanking.Skipped::node).containsExactly("db4");
        assertThat(plan.possibleLoss()).isNull();
        assertThat(st.state().phase()).isEqualTo(Phase.RECOVERING);
    }

    /** The primary dead, db2 and db4 lost it, db3 does not answer this node (SIGSTOP, a partition). */
    static Observation deadWithDb3Away(long t) {
        List<Node> nodes = new ArrayList<>(round(t, World.PRIMARY_DEAD).nodes());
        nodes.set(2, node("db3", false, false, false, false, "", null, SemiSync.NOT_CONFIGURED));
        return new Observation(t, Observation.DEAD_PRIMARY_AND_SOME_REPLICAS, "db1", nodes);
    }

    @Test
    void losslessRefusesWhileAReplicaThatWasReplicatingIsAwayAndProceedsOnceItAnswers() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        Step st = d.step(s, new Observed(deadWithDb3Away(1000)));
        assertThat(promotes(st)).isEmpty();
        assertThat(st.effects()).filteredOn(Refuse.class::isInstance).singleElement()
                .extracting(e -> ((Refuse) e).reason()).asString().contains("[db3]").contains("re-checked every round");
        assertThat(st.state().heldBack()).contains("[db3]");
        assertThat(st.state().disabled()).as("a refusal that clears by itself does not disable automation").isNull();
        // Paged once, then re-checked silently every round while db3 stays away.
        for (long t = 2000; t < 60_000; t += 1000) {
            st = d.step(st.state(), new Observed(deadWithDb3Away(t)));
            assertThat(st.effects()).noneMatch(e -> e instanceof Refuse || e instanceof Promote);
        }
        // db3 answers again (it lost the primary too): the failover goes ahead, db3's position counted.
        st = d.step(st.state(), new Observed(round(60_000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).singleElement().satisfies(p -> {
            assertThat(p.plan().candidates()).extracting(Node::name).containsExactly("db2", "db3");
            assertThat(p.plan().possibleLoss()).isNull();
            assertThat(p.plan().reason()).contains("was refused until");
        });
        assertThat(st.state().heldBack()).isNull();
    }

    @Test
    void availableFailsOverWithTheAwayReplicaRecordedAsAPossibleLoss() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.AVAILABLE, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        Step st = d.step(s, new Observed(deadWithDb3Away(1000)));
        assertThat(promotes(st)).hasSize(1);
        assertThat(promotes(st).get(0).plan().possibleLoss()).contains("[db3]").contains("not reachable");
        assertThat(promotes(st).get(0).plan().describe()).anyMatch(l -> l.startsWith("possible loss: replica(s) [db3]"));
    }

    @Test
    void aReplicaAwaySinceItsIoThreadBrokeBeforeTheLastAckDoesNotHoldTheFailoverBack() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 1));
        Node p = node("db1", true, false, false, false, "0-1-100", null, SemiSync.ON);
        State s = State.initial();
        // db3's IO thread is down (not connected) for 12 s while the primary, semi-sync on, commits.
        for (long t = 0; t <= 12_000; t += 1000) {
            s = d.step(s, new Observed(new Observation(t, Observation.NO_PROBLEM, "db1", List.of(p,
                    node("db2", true, true, true, true, "0-1-100", 0.1, null),
                    node("db3", true, true, false, true, "0-1-40", null, null))))).state();
        }
        Observation dead = deadWithDb3Away(13_000);
        assertThat(FailoverDecision.mayHoldAckedWrites(s, dead)).isEmpty();
        assertThat(promotes(d.step(s, new Observed(dead)))).hasSize(1);

        // The same replica disconnected only 3 s before the last round the primary answered: held back.
        State fresh = State.initial();
        for (long t = 0; t <= 12_000; t += 1000) {
            boolean io = t < 9_000;
            fresh = d.step(fresh, new Observed(new Observation(t, Observation.NO_PROBLEM, "db1", List.of(p,
                    node("db2", true, true, true, true, "0-1-100", 0.1, null),
                    node("db3", true, true, io, true, "0-1-100", 0.1, null))))).state();
        }
        assertThat(FailoverDecision.mayHoldAckedWrites(fresh, dead)).containsExactly("db3");
        assertThat(refused(d.step(fresh, new Observed(dead)))).isTrue();
    }

    @Test
    void aReplicaThatWentAwayWhileThePrimaryWasAliveStillHoldsItBack() {
        // SIGSTOP of db3 first, then the primary dies: db3 was replicating when last seen.
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        List<Node> aliveDb3Away = new ArrayList<>(round(1000, World.HEALTHY).nodes());
        aliveDb3Away.set(2, node("db3", false, false, false, false, "", null, SemiSync.NOT_CONFIGURED));
        for (long t = 1000; t < 30_000; t += 1000) {
            s = d.step(s, new Observed(new Observation(t, "ReplicationStopped", "db1", aliveDb3Away))).state();
        }
        assertThat(s.lastAlive().get("db3")).extracting(Node::reachable, Node::ioRunning).containsExactly(false, true);
        assertThat(refused(d.step(s, new Observed(deadWithDb3Away(30_000))))).isTrue();
    }

    @Test
    void anOperatorFailoverAcceptsTheLossOnlyWithForce() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 3));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        Step no = d.step(s, new Requested(1000, deadWithDb3Away(1000), null, false, false));
        assertThat(promotes(no)).isEmpty();
        assertThat(no.effects()).singleElement().extracting(e -> ((FailoverDecision.Note) e).message()).asString()
                .contains("[db3]").contains("--force");
        Step yes = d.step(s, new Requested(1000, deadWithDb3Away(1000), null, true, false));
        assertThat(promotes(yes)).singleElement().extracting(p -> p.plan().possibleLoss()).asString().contains("[db3]");
    }

    @Test
    void deadPrimaryThatAnswersAgainBeforeConfirmationIsNotReplaced() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 3));
        State s = State.initial();
        for (World w : List.of(World.HEALTHY, World.PRIMARY_DEAD, World.PRIMARY_DEAD, World.HEALTHY,
                World.PRIMARY_DEAD, World.PRIMARY_DEAD)) {
            Step st = d.step(s, new Observed(round(0, w)));
            assertThat(promotes(st)).isEmpty();
            s = st.state();
        }
    }

    @Test
    void semiSyncFallbackBeforeTheDeathRefusesInLosslessAndFailsOverInAvailable() {
        for (Durability dur : Durability.values()) {
            FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, dur, 1));
            State s = d.step(State.initial(), new Observed(round(0, World.SEMI_SYNC_FELL_BACK))).state();
            Step st = d.step(s, new Observed(round(1000, World.PRIMARY_DEAD)));
            if (dur == Durability.LOSSLESS) {
                assertThat(promotes(st)).isEmpty();
                assertThat(refused(st)).isTrue();
                assertThat(st.state().disabled()).contains("semi-sync");
                // Refused once, not every round.
                assertThat(refused(d.step(st.state(), new Observed(round(2000, World.PRIMARY_DEAD))))).isFalse();
            } else {
                assertThat(promotes(st)).hasSize(1);
                assertThat(promotes(st).get(0).plan().possibleLoss()).contains("fell_back");
            }
        }
    }

    @Test
    void failedFailoverDisablesAutomationUntilAck() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.AVAILABLE, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.PRIMARY_DEAD))).state();
        assertThat(s.phase()).isEqualTo(Phase.RECOVERING);
        Step st = d.step(s, new RecoveryFinished(1000, false, "drain stalled", false));
        assertThat(refused(st)).isTrue();
        // Hours later (past block_period and the hourly cap) still nothing until ack.
        long later = 5 * 3_600_000L;
        Step again = d.step(st.state(), new Observed(round(later, World.PRIMARY_DEAD)));
        assertThat(promotes(again)).isEmpty();
        assertThat(refused(again)).isTrue();
        State acked = d.step(again.state(), new Ack(later + 1, "test")).state();
        assertThat(promotes(d.step(acked, new Observed(round(later + 2, World.PRIMARY_DEAD))))).hasSize(1);
    }

    @Test
    void secondFailureInsideBlockPeriodWaitsForAck() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.AVAILABLE, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.PRIMARY_DEAD))).state();
        s = d.step(s, new RecoveryFinished(1000, true, "db2 promoted", false)).state();
        Step st = d.step(s, new Observed(round(60_000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).isEmpty();
        assertThat(st.effects()).filteredOn(Refuse.class::isInstance).first()
                .extracting(e -> ((Refuse) e).reason()).asString().contains("block_period");
        State acked = d.step(st.state(), new Ack(61_000, "test")).state();
        assertThat(promotes(d.step(acked, new Observed(round(62_000, World.PRIMARY_DEAD))))).hasSize(1);
    }

    @Test
    void manualModeNeverPromotesByItselfButAnOperatorRequestDoes() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.MANUAL, Durability.LOSSLESS, 1));
        State s = d.step(State.initial(), new Observed(round(0, World.HEALTHY))).state();
        Step st = d.step(s, new Observed(round(1000, World.PRIMARY_DEAD)));
        assertThat(promotes(st)).isEmpty();
        assertThat(refused(st)).isTrue();
        Step dry = d.step(st.state(), new Requested(2000, round(2000, World.PRIMARY_DEAD), null, false, true));
        assertThat(dry.effects()).singleElement().isInstanceOf(FailoverDecision.PlanOnly.class);
        assertThat(dry.state()).isEqualTo(st.state());
        Step req = d.step(st.state(), new Requested(2000, round(2000, World.PRIMARY_DEAD), "db3", false, false));
        assertThat(promotes(req)).singleElement().extracting(p -> p.plan().candidates().get(0).name()).isEqualTo("db3");
    }

    @Test
    void requestWhileTheReplicasStillReplicateFromAnUnreachablePrimaryIsRefused() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.LOSSLESS, 1));
        Step st = d.step(State.initial(), new Requested(0, round(0, World.UNREACHABLE_PRIMARY), null, true, false));
        assertThat(promotes(st)).isEmpty();
    }

    @Test
    void laggingOrBrokenReplicasAreSkipped() {
        FailoverConfig c = cfg(Mode.AUTO, Durability.AVAILABLE, 1);
        Observation alive = new Observation(0, Observation.NO_PROBLEM, "db1", List.of(
                node("db1", true, false, false, false, "0-1-100", null, SemiSync.ON),
                node("db2", true, true, true, true, "0-1-100", 45.0, null),
                node("db3", true, true, false, true, "0-1-40", null, null),
                new Node("db5", "h", 1, true, true, true, true, "Duplicate entry", 0, true, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-90"), true, null),
                new Node("db6", "h", 1, true, true, true, true, null, 3600, true, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-100"), true, null),
                new Node("db7", "h", 1, true, true, true, true, null, 0, false, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-100"), true, null),
                new Node("db8", "h", 1, true, true, true, true, null, 0, true, true, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-100"), true, null),
                new Node("db9", "h", 1, true, true, true, true, null, 0, true, false, true, 0.0,
                        GtidPosition.parse("0-1-100,5-9-3"), GtidPosition.parse("0-1-100,5-9-3"), true, null),
                node("dbA", true, true, true, true, "0-1-98", 1.0, null)));
        java.util.Map<String, Node> before = new java.util.HashMap<>();
        alive.nodes().forEach(n -> before.put(n.name(), n));
        CandidateRanking r = CandidateRanking.rank(alive, "db1", before, java.util.Set.of("db3"), c, false, null);
        assertThat(r.eligible()).extracting(Node::name).containsExactly("dbA");
        assertThat(r.skipped()).extracting(CandidateRanking.Skipped::reason).anyMatch(x -> x.contains("max_promotion_lag"))
                .anyMatch(x -> x.contains("IO thread")).anyMatch(x -> x.contains("SQL thread error"))
                .anyMatch(x -> x.contains("delayed")).anyMatch(x -> x.contains("binary log"))
                .anyMatch(x -> x.contains("filters")).anyMatch(x -> x.contains("errant"));
        CandidateRanking forced = CandidateRanking.rank(alive, "db1", before, java.util.Set.of("db3"), c, true, null);
        assertThat(forced.eligible()).extracting(Node::name).containsExactly("db2", "dbA", "db3");
    }

    @Test
    void aReplicaIsBrokenBeforeTheFailureOnlyWhenItsIoThreadWasDownForTheGracePeriod() {
        FailoverDecision d = new FailoverDecision(cfg(Mode.AUTO, Durability.AVAILABLE, 1));
        State s = State.initial();
        Observation.Node p = node("db1", true, false, false, false, "0-1-100", null, SemiSync.ON);
        for (long t = 0; t <= 12_000; t += 1000) {
            // db3's IO thread reconnects for a while (just repointed) from t=0 on, db2 is fine.
            Observation o = new Observation(t, Observation.NO_PROBLEM, "db1", List.of(p,
                    node("db2", true, true, true, true, "0-1-100", 0.1, null),
                    node("db3", true, true, false, true, "0-1-100", 0.1, null)));
            s = d.step(s, new Observed(o)).state();
            assertThat(FailoverDecision.brokenBefore(s).contains("db3")).isEqualTo(t >= 10_000);
            assertThat(FailoverDecision.brokenBefore(s)).doesNotContain("db2");
        }
    }

    @Test
    void preferBreaksTiesAfterReceivedAndAppliedPositions() {
        FailoverConfig c = new FailoverConfig(Mode.AUTO, Durability.AVAILABLE, 1, Duration.ofSeconds(30),
                Duration.ofMinutes(10), 2, 1, Duration.ofSeconds(10), "repl", null,
                new FailoverConfig.PromotionConfig(List.of("db4", "db3"), List.of()), null);
        Observation o = new Observation(0, Observation.DEAD_PRIMARY, "db1", List.of(
                node("db1", false, false, false, false, "", null, null),
                new Node("db2", "h", 1, true, true, false, true, null, 0, true, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-90"), true, null),
                new Node("db3", "h", 1, true, true, false, true, null, 0, true, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-95"), true, null),
                new Node("db4", "h", 1, true, true, false, true, null, 0, true, false, false, 0.0,
                        GtidPosition.parse("0-1-100"), GtidPosition.parse("0-1-95"), true, null),
                new Node("db5", "h", 1, true, true, false, true, null, 0, true, false, false, 0.0,
                        GtidPosition.parse("0-1-101"), GtidPosition.parse("0-1-10"), true, null)));
        assertThat(CandidateRanking.rank(o, "db1", java.util.Map.of(), java.util.Set.of(), c, false, null).eligible())
                .extracting(Node::name).containsExactly("db5", "db4", "db3", "db2");
    }

    /**
     * Random schedules of worlds, recovery results, acks and clock jumps; after every step the
     * safety properties must hold. A reference model counts what the decision may do.
     */
    @Test
    void randomSchedulesKeepEverySafetyProperty() {
        Random rnd = new Random(20261203L);
        World[] worlds = World.values();
        int promotions = 0;
        for (int run = 0; run < 3000; run++) {
            Mode mode = Mode.values()[rnd.nextInt(3)];
            Durability dur = Durability.values()[rnd.nextInt(2)];
            int confirm = 1 + rnd.nextInt(4);
            FailoverDecision d = new FailoverDecision(cfg(mode, dur, confirm));
            State s = State.initial();
            long t = 0;
            Deque<World> recent = new ArrayDeque<>();
            SemiSync lastPrimarySemi = SemiSync.NOT_CONFIGURED;
            boolean recovering = false;
            boolean recoveringByOperator = false;
            long lastAutoFinish = -1;
            boolean ackedSince = true;
            boolean failedUnacked = false;
            List<Long> autoFinishes = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                t += 200 + rnd.nextInt(rnd.nextInt(10) == 0 ? 1_800_000 : 3000);
                int what = rnd.nextInt(20);
                Step st;
                if (what == 0 && recovering) {
                    boolean ok = rnd.nextBoolean();
                    st = d.step(s, new RecoveryFinished(t, ok, ok ? "ok" : "failed", recoveringByOperator));
                    if (!recoveringByOperator) {
                        lastAutoFinish = t;
                        autoFinishes.add(t);
                        ackedSince = false;
                        if (!ok) failedUnacked = true;
                    }
                    recovering = false;
                    recent.clear();
                    if (ok || !recoveringByOperator) {
                        // A promotion that did not happen (uncounted and failed) keeps what was known.
                        lastPrimarySemi = SemiSync.NOT_CONFIGURED;
                    }
                } else if (what == 1) {
                    st = d.step(s, new Ack(t, "test"));
                    ackedSince = true;
                    failedUnacked = false;
                } else if (what == 2) {
                    World w = worlds[rnd.nextInt(worlds.length)];
                    st = d.step(s, new Requested(t, round(t, w), null, rnd.nextBoolean(), rnd.nextBoolean()));
                    if (!promotes(st).isEmpty()) {
                        assertThat(recovering).as("a request while recovering").isFalse();
                        assertThat(mode).isNotEqualTo(Mode.OFF);
                        assertThat(w).as("request in world").isNotIn(World.UNREACHABLE_PRIMARY,
                                World.TOO_MANY_CONNECTIONS, World.CAIRN_ISOLATED, World.DEAD_BUT_CODE_WRONG);
                        recovering = true;
                        recoveringByOperator = true;
                        promotions++;
                    }
                } else {
                    World w = rnd.nextInt(3) == 0 ? (rnd.nextInt(4) == 0 ? World.DEAD_AND_DB3_AWAY : World.PRIMARY_DEAD)
                            : worlds[rnd.nextInt(worlds.length)];
                    Observation o = round(t, w);
                    st = d.step(s, new Observed(o));
                    if (o.node("db1").get().reachable()) {
                        lastPrimarySemi = o.node("db1").get().semiSync();
                    }
                    recent.addLast(w);
                    while (recent.size() > confirm) recent.removeFirst();
                    List<Promote> p = promotes(st);
                    if (!p.isEmpty()) {
                        promotions++;
                        assertThat(recovering).as("promotion while another recovery runs").isFalse();
                        assertThat(mode).isEqualTo(Mode.AUTO);
                        assertThat(recent).as("last " + confirm + " rounds").hasSize(confirm)
                                .containsAnyOf(World.PRIMARY_DEAD, World.DEAD_AND_DB3_AWAY)
                                .doesNotContain(World.HEALTHY, World.UNREACHABLE_PRIMARY, World.SQL_STOPPED,
                                        World.TOO_MANY_CONNECTIONS, World.CAIRN_ISOLATED, World.SEMI_SYNC_FELL_BACK,
                                        World.DEAD_BUT_CODE_WRONG);
                        assertThat(failedUnacked).as("promotion after a failed one without ack").isFalse();
                        if (lastAutoFinish >= 0 && !ackedSince) {
                            assertThat(t - lastAutoFinish).as("inside block period").isGreaterThanOrEqualTo(600_000);
                        }
                        long now = t;
                        long inHour = autoFinishes.stream().filter(x -> now - x < 3_600_000L).count();
                        assertThat(inHour).as("per hour").isLessThan(2);
                        if (dur == Durability.LOSSLESS) {
                            assertThat(lastPrimarySemi).as("semi-sync before the death").isEqualTo(SemiSync.ON);
                            // db3 replicates whenever it is seen with the primary alive: while it is
                            // away it may hold the only copy of an acknowledged write.
                            assertThat(w).as("lossless promotion while db3 is away").isNotEqualTo(World.DEAD_AND_DB3_AWAY);
                        } else if (w == World.DEAD_AND_DB3_AWAY) {
                            assertThat(p.get(0).plan().possibleLoss()).as("available records the possible loss").isNotNull();
                        }
                        assertThat(p.get(0).plan().candidates()).extracting(Node::name).doesNotContain("db1", "db4")
                                .first().isEqualTo("db2");
                        recovering = true;
                        recoveringByOperator = false;
                    }
                }
                assertThat(promotes(st).size()).isLessThanOrEqualTo(1);
                s = st.state();
                assertThat(s.phase() == Phase.RECOVERING).isEqualTo(recovering);
            }
        }
        assertThat(promotions).as("the schedules exercise promotions").isGreaterThan(300);
    }

    @Test
    void gtidPositionsCompareAndNameExtraTransactions() {
        GtidPosition a = GtidPosition.parse("0-1-100,1-2-5");
        GtidPosition b = GtidPosition.parse("0-1-103");
        assertThat(b.covers(GtidPosition.parse("0-1-100"))).isTrue();
        assertThat(b.covers(a)).isFalse();
        assertThat(a.beyond(b)).containsExactly("1-2-1..1-2-5");
        assertThat(b.beyond(a)).containsExactly("0-1-101..0-1-103");
        assertThat(GtidPosition.parse("0-1-101").beyond(GtidPosition.parse("0-1-100"))).containsExactly("0-1-101");
        assertThat(a.toString()).isEqualTo("0-1-100,1-2-5");
        assertThat(GtidPosition.parse("")).isEqualTo(GtidPosition.EMPTY);
    }
}
