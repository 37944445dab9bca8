package dev.ibq.stream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.metrics.NoOpMetricRegistry;
import org.apache.flink.runtime.metrics.groups.GenericMetricGroup;
import org.junit.jupiter.api.Test;

/** The dead-letter reason is a label of one metric, not a metric name per reason. */
class JobMetricsTest {

  @Test
  void deadLettersAreOneMetricWithACodeLabel() {
    GenericMetricGroup operator = new GenericMetricGroup(NoOpMetricRegistry.INSTANCE, null, "operator");
    Counter corrupt = JobMetrics.deadLetters(operator, "CORRUPT_IMAGE");
    Counter tooLarge = JobMetrics.deadLetters(operator, "TOO_LARGE");
    corrupt.inc(3);
    tooLarge.inc();
    assertThat(corrupt).isNotSameAs(tooLarge);
    assertThat(corrupt.getCount()).isEqualTo(3);

    MetricGroup corruptGroup = operator.addGroup(JobMetrics.CODE, "CORRUPT_IMAGE"); // the existing group
    MetricGroup tooLargeGroup = operator.addGroup(JobMetrics.CODE, "TOO_LARGE");
    // a reporter with labels (Prometheus) names a metric by its logical scope, which leaves out the value of
    // a key/value group, and turns the variables into labels
    assertThat(corruptGroup.getAllVariables()).containsEntry("<" + JobMetrics.CODE + ">", "CORRUPT_IMAGE");
    assertThat(tooLargeGroup.getAllVariables()).containsEntry("<" + JobMetrics.CODE + ">", "TOO_LARGE");
    assertThat(((AbstractMetricGroup<?>) corruptGroup).getLogicalScope(s -> s)).isEqualTo("operator.code");
    assertThat(((AbstractMetricGroup<?>) tooLargeGroup).getLogicalScope(s -> s)).isEqualTo("operator.code");
  }
}
