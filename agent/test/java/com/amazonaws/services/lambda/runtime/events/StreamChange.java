package com.amazonaws.services.lambda.runtime.events;

import java.util.Date;

/** A class in the package of AWS's event classes: its dates are epoch seconds (BinderProbe). */
public class StreamChange {
    private Date approximateCreationDateTime;
    /** Text bound from a JSON object (written back as JSON) ahead of the date. */
    private String keys;

    public String getKeys() { return keys; }
    public void setKeys(String k) { this.keys = k; }

    public Date getApproximateCreationDateTime() { return approximateCreationDateTime; }
    public void setApproximateCreationDateTime(Date d) { this.approximateCreationDateTime = d; }
}
