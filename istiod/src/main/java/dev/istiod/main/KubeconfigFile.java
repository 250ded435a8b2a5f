package dev.istiod.main;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client configuration read from {@code --kubeconfig}, as upstream's client-go reads it: once.
 *
 * <p>Why this exists: fabric8 re-reads and re-parses the whole kubeconfig file (YAML with the
 * certificates inlined) on the first API call of every minute, looking for a new bearer token. With
 * client-certificate credentials there is no token to find, so at rest that parse (and the JIT
 * compilations it keeps triggering) was most of istiod's idle CPU, paid on every lease renewal's
 * minute. Credentials that do expire keep fabric8's refresh: a bearer token, an exec plugin or an
 * auth provider.
 */
final class KubeconfigFile {
  private KubeconfigFile() {}

  /** The configuration of {@code file}'s current context. */
  static Config read(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IOException("kubeconfig " + file + " is not readable");
    }
    Config config = Config.fromKubeconfig(null, Files.readString(file), file.toString());
    if (certificateOnly(config)) {
      // fabric8 refreshes only configs without a token of their own; an empty one is "no token, never look".
      config.setOauthToken("");
    }
    return config;
  }

  /** True when the client authenticates with a certificate alone: nothing in it expires and gets re-read. */
  static boolean certificateOnly(Config config) {
    return (present(config.getClientCertData()) || present(config.getClientCertFile()))
        && !present(config.getOauthToken())
        && !present(config.getAutoOAuthToken())
        && config.getOauthTokenProvider() == null
        && config.getAuthProvider() == null
        && !present(config.getUsername());
  }

  private static boolean present(String s) {
    return s != null && !s.isEmpty();
  }
}
