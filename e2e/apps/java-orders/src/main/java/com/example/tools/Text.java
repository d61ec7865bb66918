package com.example.tools;

/** Handlers that are plain methods: no Lambda interface. */
public class Text {
    public static String upper(String text) {
        return text.toUpperCase();
    }

    public String fail(String reason) {
        throw new IllegalStateException("refused: " + reason, new IllegalArgumentException("the cause"));
    }
}
