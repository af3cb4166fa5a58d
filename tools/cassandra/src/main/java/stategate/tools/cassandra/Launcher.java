package stategate.tools.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.cassandra.service.CassandraDaemon;

/**
 * Starts a single-node Cassandra for the provider tests: writes conf/cassandra.yaml under the data directory
 * (from the template beside this class), points Cassandra at it and runs the daemon in this JVM until it is
 * stopped (SIGTERM drains and flushes, as `cassandra -f` does).
 *
 * <p>Usage: {@code Launcher <data directory> <CQL port> <storage port>}.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: Launcher <data directory> <CQL port> <storage port>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(dir.resolve("logs"));
    Path yaml = dir.resolve("conf/cassandra.yaml");
    Files.writeString(
        yaml,
        template("cassandra.yaml")
            .replace("@DIR@", dir.toString())
            .replace("@PORT@", args[1])
            .replace("@STORAGE_PORT@", args[2]));

    System.setProperty("cassandra.config", yaml.toUri().toString());
    System.setProperty("cassandra.logdir", dir.resolve("logs").toString());
    System.setProperty("cassandra.storagedir", dir.toString());
    System.setProperty("cassandra-foreground", "yes");
    // A lone node: nothing to wait for before it serves (the defaults wait for gossip and a ring delay).
    System.setProperty("cassandra.skip_wait_for_gossip_to_settle", "0");
    System.setProperty("cassandra.ring_delay_ms", "0");
    System.setProperty("cassandra.superuser_setup_delay_ms", "0");
    System.setProperty("cassandra.native_transport_startup_delay_seconds", "0");
    CassandraDaemon.main(new String[0]);
  }

  private static String template(String name) throws IOException {
    try (InputStream in = Launcher.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IOException(name + " is missing from the launcher's resources");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
