package dev.ibq.stream.tokenize;

import java.io.Serializable;
import org.apache.flink.api.common.functions.RuntimeContext;
import dev.ibq.model.TokenizerIdentity;

/**
 * Opens a {@link BatchTokenizer}. Serializable so that the job graph carries the factory (a model
 * location and options) to each task, which opens its own tokenizer once, in {@code open()}.
 */
public interface BatchTokenizerFactory extends Serializable {

  /** Opens a tokenizer; the caller closes it. */
  BatchTokenizer open() throws Exception;

  /**
   * Opens a tokenizer in a running task, which may take files shipped with the job from the task's
   * distributed cache; by default {@link #open()}.
   */
  default BatchTokenizer open(RuntimeContext task) throws Exception {
    return open();
  }

  /**
   * The identity of the model this factory opens, read cheaply where possible (on the client, while
   * the job graph is built: the preprocessing settings come from here).
   */
  default TokenizerIdentity describe() throws Exception {
    try (BatchTokenizer t = open()) {
      return t.identity();
    }
  }
}
