package dev.istiod.training;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The bit of HTTP/1.1 {@link TrainingApiServer} needs: requests with a Content-Length body (or
 * none), responses with a length, a chunked stream that stays open, and the WebSocket upgrade
 * handshake (RFC 6455 section 4.2.2), after which nothing is sent. The JDK's own HTTP server
 * cannot switch protocols, and fabric8 opens every watch as a WebSocket first.
 */
final class TrainingHttp {
  private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int MAX_LINE = 64 * 1024;

  private TrainingHttp() {}

  record Request(String method, URI uri, Map<String, String> headers, byte[] body) {
    /** The next request on the connection, or null at its end. */
    static Request read(InputStream in) throws IOException {
      String requestLine = line(in);
      if (requestLine == null || requestLine.isEmpty()) {
        return null;
      }
      String[] parts = requestLine.split(" ");
      if (parts.length != 3) {
        throw new IOException("bad request line: " + requestLine);
      }
      Map<String, String> headers = new HashMap<>();
      String h;
      while ((h = line(in)) != null && !h.isEmpty()) {
        int colon = h.indexOf(':');
        if (colon > 0) {
          headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      return new Request(parts[0], URI.create(parts[1]), headers, body);
    }

    String header(String name) {
      return headers.get(name);
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          String s = b.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        if (b.size() > MAX_LINE) {
          throw new IOException("header line too long");
        }
        b.write(c);
      }
      return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }
  }

  record Response(OutputStream out) {
    void send(int code, byte[] body) throws IOException {
      out.write(("HTTP/1.1 " + code + " " + reason(code) + "\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
    }

    void startChunked() throws IOException {
      out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    void switchToWebSocket(String key) throws IOException {
      String accept;
      try {
        accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
            .digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is a required JDK algorithm", e);
      }
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    private static String reason(int code) {
      return switch (code) {
        case 200 -> "OK";
        case 201 -> "Created";
        case 404 -> "Not Found";
        case 405 -> "Method Not Allowed";
        case 409 -> "Conflict";
        default -> "Status";
      };
    }
  }
}
