package dev.cairn.metrics.host;

import java.util.regex.Pattern;

/**
 * What the host collector leaves out, as node_exporter's exclude flags. Each pattern is matched
 * with {@code find()}, as Go's {@code regexp.MatchString}: anchor it to match a whole name.
 */
public record HostFilters(Pattern mountPointsExclude, Pattern fsTypesExclude, Pattern diskDevicesExclude) {

    public static HostFilters compile(String mountPointsExclude, String fsTypesExclude, String diskDevicesExclude) {
        return new HostFilters(Pattern.compile(mountPointsExclude), Pattern.compile(fsTypesExclude),
                Pattern.compile(diskDevicesExclude));
    }

    boolean excludesMount(String mountPoint, String fsType) {
        return mountPointsExclude.matcher(mountPoint).find() || fsTypesExclude.matcher(fsType).find();
    }

    boolean excludesDisk(String device) {
        return diskDevicesExclude.matcher(device).find();
    }
}
