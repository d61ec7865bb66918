package com.example.stream;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Raw bytes in, raw bytes out. */
public class Echo implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        byte[] event = input.readAllBytes();
        String reply = "{\"echo\":" + new String(event, StandardCharsets.UTF_8) + ",\"bytes\":" + event.length + ",\"arn\":\"" + context.getInvokedFunctionArn() + "\"}";
        output.write(reply.getBytes(StandardCharsets.UTF_8));
    }
}
