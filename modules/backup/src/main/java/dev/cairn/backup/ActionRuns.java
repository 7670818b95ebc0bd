package dev.cairn.backup;

import dev.cairn.spi.Module.ActionException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backup runs asked for over the admin API. The daemon's HTTP server ends any answer after 30 s
 * ({@code sun.net.httpserver.maxRspTime}, which guards it against slow clients), and a backup may
 * take hours: the answer waits a bounded time for the run, and a run still going after it answers
 * {@code "state": "running"} with an id that the {@code runs} action reports on until it ends.
 * The last {@value #KEPT} runs are kept.
 */
final class ActionRuns {

    /** The body of one run: its answer, or an {@link ActionException} with the status to answer. */
    interface Body {
        Map<String, Object> call() throws ActionException, InterruptedException;
    }

    static final int KEPT = 32;

    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Run> runs = new LinkedHashMap<>();

    private record Run(String job, CompletableFuture<Map<String, Object>> result) {
    }

    /** Starts {@code body} on a thread of its own and waits up to {@code waitSeconds} for its answer. */
    Object start(String job, long waitSeconds, Body body) throws ActionException, InterruptedException {
        String id = Long.toString(ids.incrementAndGet());
        CompletableFuture<Map<String, Object>> result = new CompletableFuture<>();
        synchronized (runs) {
            runs.put(id, new Run(job, result));
            var it = runs.keySet().iterator();
            while (runs.size() > KEPT && it.hasNext()) {
                String oldest = it.next();
                if (!runs.get(oldest).result().isDone()) continue; // a run under way stays reportable
                it.remove();
            }
        }
        Thread t = new Thread(() -> {
            try {
                result.complete(body.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "backup-run-" + job);
        t.setDaemon(true);
        t.start();
        try {
            return answer(id, job, result.get(waitSeconds, TimeUnit.SECONDS));
        } catch (TimeoutException e) {
            return running(id, job);
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    /** The state of run {@code id}: running, or its answer (or error) once it ended. */
    Object get(String id) throws ActionException, InterruptedException {
        Run run;
        synchronized (runs) {
            run = id == null ? null : runs.get(id);
        }
        if (run == null) throw new ActionException(404, "no backup run '" + id + "' (the last " + KEPT + " are kept; they are lost at a restart)");
        if (!run.result().isDone()) return running(id, run.job());
        try {
            return answer(id, run.job(), run.result().get());
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    private static Map<String, Object> answer(String id, String job, Map<String, Object> m) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("run", id);
        a.put("state", "done");
        a.putAll(m);
        a.putIfAbsent("job", job);
        return a;
    }

    private static Map<String, Object> running(String id, String job) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("run", id);
        a.put("state", "running");
        a.put("job", job);
        return a;
    }

    private static ActionException failure(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof ActionException a) return a;
        return new ActionException(500, "backup run failed: " + c);
    }
}
