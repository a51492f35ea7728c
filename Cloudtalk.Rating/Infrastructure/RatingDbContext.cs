using Cloudtalk.Common.Outbox;
using Cloudtalk.Rating.Domain;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>Rating's own database: each product's review ratings and aggregate, processed events, the outbox.</summary>
public sealed class RatingDbContext : DbContext
{
    public RatingDbContext(DbContextOptions<RatingDbContext> options)
        : base(options)
    {
        // Every transaction in this service is retried whole by the execution strategy and never goes on after a
        // failed SaveChanges, so EF's automatic savepoint around each SaveChanges in a transaction (a SAVEPOINT and a
        // RELEASE, and a PostgreSQL subtransaction for the rows written after it) would cost every write and buy
        // nothing. Set here, so pooled instances keep it (Persistence/NoSavepointTests checks that in Rating).
        Database.AutoSavepointsEnabled = false;
    }

    public DbSet<ReviewRating> ReviewRatings => Set<ReviewRating>();

    public DbSet<ProductRatingAggregate> ProductRatingAggregates => Set<ProductRatingAggregate>();

    public DbSet<ProcessedEvent> ProcessedEvents => Set<ProcessedEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RatingDbContext).Assembly);
        modelBuilder.AddOutbox();
    }
}
