package dev.cairn.core.cli;

import dev.cairn.core.BuildInfo;
import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"cairn " + BuildInfo.version() + " (Java " + System.getProperty("java.version") + ")"};
    }
}
