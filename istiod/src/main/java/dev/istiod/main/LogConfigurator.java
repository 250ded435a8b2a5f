package dev.istiod.main;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * istiod's logging, set up in code (found by logback through {@code META-INF/services}) rather than
 * from a logback.xml: reading XML set up a parser at every start and was about a quarter of the
 * main thread's work before /ready.
 *
 * <p>Lines have upstream istiod's shape (time, level, scope, message, tab-separated) on stderr; the
 * level is {@code ISTIOD_LOG_LEVEL} (a system property or environment variable), else INFO, and
 * {@code --log_output_level} adjusts it afterwards ({@link LogOutputLevels}). gRPC, Netty and the
 * Kubernetes client log at WARN and above.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC}\t%level\t%logger{0}\t%msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(setting("ISTIOD_LOG_LEVEL"), Level.INFO));
    root.addAppender(stderr);
    for (String noisy : new String[] {"io.grpc", "io.netty", "io.fabric8"}) {
      context.getLogger(noisy).setLevel(Level.WARN);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  private static String setting(String name) {
    String value = System.getProperty(name);
    return value != null ? value : System.getenv(name);
  }
}
