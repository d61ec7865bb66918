package com.amazonaws.services.lambda.runtime.events;

import java.util.Date;

/** A class in the package of AWS's event classes: its dates are epoch seconds (BinderProbe). */
public class StreamChange {
    private Date approximateCreationDateTime;

    public Date getApproximateCreationDateTime() { return approximateCreationDateTime; }
    public void setApproximateCreationDateTime(Date d) { this.approximateCreationDateTime = d; }
}
