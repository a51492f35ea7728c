using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>Rating's own database: each product's review ratings and aggregate, processed events, the outbox.</summary>
public sealed class RatingDbContext(DbContextOptions<RatingDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RatingDbContext).Assembly);
}
