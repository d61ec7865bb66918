package com.example.model;

import java.util.List;

/** An order as clients post it (read with gson). */
public class Order {
    private String id;
    private String customer;
    private List<Line> lines;

    public static class Line {
        private String sku;
        private int quantity;
        private double price;

        public String getSku() { return sku; }
        public int getQuantity() { return quantity; }
        public double getPrice() { return price; }
    }

    public String getId() { return id; }
    public String getCustomer() { return customer; }
    public List<Line> getLines() { return lines; }

    public double total() {
        double sum = 0;
        if (lines != null) for (Line l : lines) sum += l.getQuantity() * l.getPrice();
        return Math.round(sum * 100) / 100.0;
    }
}
