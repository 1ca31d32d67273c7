// liquibase formatted mongodb

// Every changeset here runs through mongosh (runWith:mongosh). Liquibase with the official liquibase-mongodb
// extension cannot read this file, so only changelog-with-js.xml includes it.
// Each body is plain mongosh: one simple statement per line.

// changeset shop:js-1 runWith:mongosh labels:customers
// comment: Find customers who have not logged in for a long time
db.getCollection("customers").createIndex({ "lastLoginAt": 1 }, { "name": "ix_customers_last_login", "sparse": true });
// rollback db.getCollection("customers").dropIndex("ix_customers_last_login");

// changeset shop:js-2 runWith:mongosh context:dev labels:catalog,seed
// comment: Feature the books on the demo front page
db.getCollection("products").updateMany({ "category": "books" }, { "$set": { "featured": true } });
// rollback db.getCollection("products").updateMany({ "category": "books" }, { "$unset": { "featured": "" } });

// changeset shop:js-3 runWith:mongosh context:dev labels:customers,seed
// comment: A demo newsletter subscriber
db.getCollection("newsletter").insertOne({ "email": "ada@example.com", "topics": ["books"], "subscribedAt": ISODate("2024-03-01T08:00:00Z") });
// rollback db.getCollection("newsletter").deleteOne({ "email": "ada@example.com" });
