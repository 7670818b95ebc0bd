package dev.cairn.dns.zone;

import org.xbill.DNS.Record;

/** A record with where it was written ({@code file:line} or {@code records[i]}), for error messages. */
public record SourcedRecord(Record record, String where) {
}
