package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** What a mobile client sent along (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface ClientContext {
    Client getClient();

    Map<String, String> getCustom();

    Map<String, String> getEnvironment();
}
