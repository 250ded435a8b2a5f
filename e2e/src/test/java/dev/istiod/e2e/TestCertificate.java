package dev.istiod.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for one DNS name, made with the JDK's own {@code keytool} (so the tests need
 * no crypto library), kept in a PKCS#12 key store in the test's workspace.
 */
record TestCertificate(String dnsName, KeyStore keyStore, char[] password) {
  private static final char[] PASSWORD = "e2e-test".toCharArray();

  static TestCertificate selfSigned(String dnsName, Path dir) {
    Path file = dir.resolve(dnsName + ".p12");
    Path keytool = Toolchain.javaBinary().resolveSibling("keytool");
    List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=" + dnsName, "-ext", "SAN=dns:" + dnsName, "-validity", "2",
        "-keystore", file.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD));
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(file);
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve("keytool-" + dnsName + ".log").toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("keytool failed for " + dnsName + ", see " + dir);
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(file)) {
        ks.load(in, PASSWORD);
      }
      return new TestCertificate(dnsName, ks, PASSWORD);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
