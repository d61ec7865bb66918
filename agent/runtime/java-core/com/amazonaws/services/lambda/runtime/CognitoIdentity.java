package com.amazonaws.services.lambda.runtime;

/** The caller's Cognito identity (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface CognitoIdentity {
    String getIdentityId();

    String getIdentityPoolId();
}
