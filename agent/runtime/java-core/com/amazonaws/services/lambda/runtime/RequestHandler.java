package com.amazonaws.services.lambda.runtime;

/** A handler of events bound to I, answering O (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
