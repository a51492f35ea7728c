using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Cloudtalk.Rating.Domain;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>Rating's own database: each product's review ratings and aggregate, processed events, the outbox.</summary>
public sealed class RatingDbContext : DbContext
{
    public RatingDbContext(DbContextOptions<RatingDbContext> options)
        : base(options)
    {
        Database.DisableAutomaticSavepoints();
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
