package dev.ibq.local.cluster;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;

/**
 * Every configuration key Flink's core option classes declare (keys, fallback and deprecated keys), read
 * by reflection, so a test can say "this config.yaml / flinkConfiguration key is not a Flink option"
 * instead of Flink silently ignoring a misspelt key.
 */
final class FlinkOptionKeys {
  private static final List<String> OPTION_CLASSES =
      List.of(
          "org.apache.flink.configuration.CheckpointingOptions",
          "org.apache.flink.configuration.HighAvailabilityOptions",
          "org.apache.flink.configuration.TaskManagerOptions",
          "org.apache.flink.configuration.JobManagerOptions",
          "org.apache.flink.configuration.CoreOptions",
          "org.apache.flink.configuration.RestartStrategyOptions",
          "org.apache.flink.configuration.StateBackendOptions",
          "org.apache.flink.configuration.StateRecoveryOptions",
          "org.apache.flink.configuration.RestOptions",
          "org.apache.flink.configuration.WebOptions",
          "org.apache.flink.configuration.BlobServerOptions",
          "org.apache.flink.configuration.HeartbeatManagerOptions",
          "org.apache.flink.configuration.ClusterOptions",
          "org.apache.flink.configuration.PipelineOptions",
          "org.apache.flink.configuration.ExecutionOptions",
          "org.apache.flink.configuration.MetricOptions",
          "org.apache.flink.configuration.NettyShuffleEnvironmentOptions",
          "org.apache.flink.configuration.ResourceManagerOptions",
          "org.apache.flink.configuration.DeploymentOptions");

  private FlinkOptionKeys() {}

  static Set<String> all() {
    Set<String> keys = new HashSet<>();
    for (String name : OPTION_CLASSES) {
      Class<?> c;
      try {
        c = Class.forName(name);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Flink option class " + name + " is not on the class path.", e);
      }
      for (Field f : c.getFields()) {
        if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
          try {
            ConfigOption<?> o = (ConfigOption<?>) f.get(null);
            keys.add(o.key());
            for (FallbackKey k : o.fallbackKeys()) {
              keys.add(k.getKey());
            }
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return keys;
  }
}
