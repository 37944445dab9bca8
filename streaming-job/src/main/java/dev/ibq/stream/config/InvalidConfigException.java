package dev.ibq.stream.config;

/** A job setting is missing, malformed or contradicts another one; the message names the setting. */
public final class InvalidConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key the setting, spelled as in a properties file (e.g. {@code batch.size})
   * @param problem the rest of the sentence, e.g. "is 0; expected a positive number of images"
   */
  public InvalidConfigException(String key, String problem) {
    super("Setting '" + key + "' " + problem + ".");
    this.key = key;
  }

  /** The offending setting. */
  public String key() {
    return key;
  }
}
