package dev.istiod.xds.core.accesslog;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Upstream's default JSON access-log format ({@code EnvoyJSONLogFormatIstio}): the field names and
 * command operators users' log pipelines parse, used when JSON encoding is asked for without labels.
 */
final class DefaultJsonFormat {
  static final Struct STRUCT;

  static {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("start_time", "%START_TIME%");
    f.put("route_name", "%ROUTE_NAME%");
    f.put("method", "%REQ(:METHOD)%");
    f.put("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%");
    f.put("protocol", "%PROTOCOL%");
    f.put("response_code", "%RESPONSE_CODE%");
    f.put("response_flags", "%RESPONSE_FLAGS%");
    f.put("response_code_details", "%RESPONSE_CODE_DETAILS%");
    f.put("connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%");
    f.put("bytes_received", "%BYTES_RECEIVED%");
    f.put("bytes_sent", "%BYTES_SENT%");
    f.put("duration", "%DURATION%");
    f.put("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%");
    f.put("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%");
    f.put("user_agent", "%REQ(USER-AGENT)%");
    f.put("request_id", "%REQ(X-REQUEST-ID)%");
    f.put("authority", "%REQ(:AUTHORITY)%");
    f.put("upstream_host", "%UPSTREAM_HOST%");
    f.put("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%");
    f.put("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%");
    f.put("requested_server_name", "%REQUESTED_SERVER_NAME%");
    f.put("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%");
    Struct.Builder b = Struct.newBuilder();
    f.forEach((k, v) -> b.putFields(k, Value.newBuilder().setStringValue(v).build()));
    STRUCT = b.build();
  }

  private DefaultJsonFormat() {}
}
