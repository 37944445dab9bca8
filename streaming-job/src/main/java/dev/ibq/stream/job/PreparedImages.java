package dev.ibq.stream.job;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** Flink type information of {@link PreparedImage}: a POJO whose map field is typed (no Kryo). */
final class PreparedImages {
  static final TypeInformation<PreparedImage> TYPE = type();

  private PreparedImages() {}

  private static TypeInformation<PreparedImage> type() {
    Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
    fields.put("imageId", Types.STRING);
    fields.put("pixels", Types.PRIMITIVE_ARRAY(Types.FLOAT));
    fields.put("label", Types.INT);
    fields.put("attributes", Types.MAP(Types.STRING, Types.STRING));
    fields.put("eventTimeMillis", Types.LONG);
    fields.put("prepareNanos", Types.LONG);
    fields.put("payload", Types.PRIMITIVE_ARRAY(Types.BYTE));
    fields.put("topic", Types.STRING);
    fields.put("partition", Types.INT);
    fields.put("offset", Types.LONG);
    fields.put("headers", Types.MAP(Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE)));
    return Types.POJO(PreparedImage.class, fields);
  }
}
