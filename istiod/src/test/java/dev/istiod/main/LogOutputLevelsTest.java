package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogOutputLevelsTest {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger xds = (Logger) LoggerFactory.getLogger("dev.istiod.xds.server");
  private final Level rootBefore = root.getLevel();

  @AfterEach
  void restore() {
    root.setLevel(rootBefore);
    xds.setLevel(null);
  }

  @Test
  void theChartsDefault_andAScope_setTheRootAndThatScopesLoggers() {
    LogOutputLevels.parse("default:warn,ads:debug").apply();

    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    assertThat(LoggerFactory.getLogger("dev.istiod.xds.server.Connection").isDebugEnabled()).isTrue();
    assertThat(LoggerFactory.getLogger("dev.istiod.ca.Citadel").isInfoEnabled()).isFalse();
  }

  @Test
  void emptyFlag_leavesTheConfiguredLevels() {
    LogOutputLevels.parse("").apply();

    assertThat(root.getLevel()).isEqualTo(rootBefore);
  }

  @Test
  void unknownScopes_areAccepted_badEntriesAndLevelsAreNot() {
    LogOutputLevels.parse("somefuturescope:debug").apply();

    assertThatThrownBy(() -> LogOutputLevels.parse("default:loud"))
        .hasMessage("invalid --log_output_level entry 'default:loud': unknown level 'loud' "
            + "(use debug, info, warn, error, fatal or none)");
    assertThatThrownBy(() -> LogOutputLevels.parse("debug"))
        .hasMessage("invalid --log_output_level entry 'debug': expected <scope>:<level>, e.g. default:info");
  }
}
