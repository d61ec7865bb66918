package com.amazonaws.services.lambda.runtime;

/** The mobile client application (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface Client {
    String getInstallationId();

    String getAppTitle();

    String getAppVersionName();

    String getAppVersionCode();

    String getAppPackageName();
}
