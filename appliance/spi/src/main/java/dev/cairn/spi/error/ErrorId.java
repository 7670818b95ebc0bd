package dev.cairn.spi.error;

import java.util.regex.Pattern;

/**
 * One stable error id an operator may search for ({@code CAIRN-DNS-0003}), with what it means and
 * what to do. Each module lists its ids in one enum implementing this interface and returns them
 * from {@link dev.cairn.spi.Module#errors()}; docs/errors.md is generated from those lists
 * ({@code cairn errors-reference}). Code refers to the enum constant, never to the id's text:
 * log {@code .addKeyValue("error_id", DnsErrors.ZONE_INVALID.id())}, or start a message with
 * {@code DnsErrors.ZONE_INVALID.id() + " ..."}.
 *
 * <p>Ids are never reused or renumbered: an id whose error no longer exists is deleted, not
 * given to a new one.
 */
public interface ErrorId {

    /** What every id looks like: CAIRN, the module in capitals, four digits. */
    Pattern FORMAT = Pattern.compile("CAIRN-[A-Z]+-[0-9]{4}");

    /** The id, e.g. {@code CAIRN-DNS-0003}. */
    String id();

    /** What happened, in one sentence an operator understands. */
    String meaning();

    /** What to do about it. */
    String action();
}
