package helloworld;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.Test;

public class AppTest {
  @Test
  public void successfulResponse() {
    App app = new App();
    Map<String, Object> result = app.handleRequest(new HashMap<>(), null);
    assertEquals(200, result.get("statusCode"));
    String content = (String) result.get("body");
    assertTrue(content.contains("\"message\""));
    assertTrue(content.contains("\"hello world\""));
    assertTrue(content.contains("\"location\""));
  }
}
