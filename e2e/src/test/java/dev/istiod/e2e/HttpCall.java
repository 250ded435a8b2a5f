package dev.istiod.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 request over a fresh connection, written by hand so the test controls every header, including
 * {@code Host} (which java.net.http refuses to set). Each call is bounded by connect and read timeouts.
 */
public final class HttpCall {
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  private static final int READ_TIMEOUT_MS = 10_000;
  private static final int MAX_RESPONSE_BYTES = 1 << 20;

  /** Status 0 means no HTTP response at all (refused, reset, timed out); {@code body} then says why. */
  public record Reply(int status, Map<String, String> headers, String body) {
    public Reply {
      headers = Map.copyOf(headers);
    }

    static Reply failed(Exception cause) {
      return new Reply(0, Map.of(), cause.toString());
    }

    /** The backend that answered, or "" if none did (e.g. Envoy's own 404/503). */
    public String servedBy() {
      return headers.getOrDefault(Backend.SERVED_BY, "");
    }

    @Override
    public String toString() {
      return status + " served-by=" + servedBy() + " body=" + body.strip();
    }
  }

  private HttpCall() {}

  public static Reply get(String address, int port, String host, String path, Map<String, String> headers) {
    try (Socket socket = connect(address, port)) {
      return exchange(socket, host, path, headers);
    } catch (IOException e) {
      return Reply.failed(e);
    }
  }

  /** A TCP connection with the same connect and read timeouts as {@link #get}. */
  static Socket connect(String address, int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** The GET request over a connection the caller set up (e.g. TLS with SNI on top of {@link #connect}). */
  static Reply exchange(Socket socket, String host, String path, Map<String, String> headers) throws IOException {
    StringBuilder request = new StringBuilder()
        .append("GET ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(host).append("\r\n");
    headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
    request.append("Connection: close\r\n\r\n");
    OutputStream out = socket.getOutputStream();
    out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return parse(readToEof(socket.getInputStream()));
  }

  private static byte[] readToEof(InputStream in) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    int n;
    while ((n = in.read(chunk)) >= 0) {
      buffer.write(chunk, 0, n);
      if (buffer.size() > MAX_RESPONSE_BYTES) {
        throw new IOException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
      }
    }
    return buffer.toByteArray();
  }

  private static Reply parse(byte[] raw) throws IOException {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int headerEnd = text.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
      throw new IOException("incomplete HTTP response: " + text);
    }
    String[] lines = text.substring(0, headerEnd).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x response: " + lines[0]);
    }
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim(), (a, b) -> a + "," + b);
      }
    }
    String body = text.substring(headerEnd + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    }
    return new Reply(Integer.parseInt(statusLine[1]), headers, body);
  }

  private static String dechunk(String chunked) throws IOException {
    StringBuilder body = new StringBuilder();
    int pos = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", pos);
      if (lineEnd < 0) {
        throw new IOException("truncated chunked body");
      }
      int size = Integer.parseInt(chunked.substring(pos, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return body.toString();
      }
      body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      pos = lineEnd + 2 + size + 2;
    }
  }
}
