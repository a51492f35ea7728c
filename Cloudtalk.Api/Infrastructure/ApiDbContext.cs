using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products, reviews, the outbox of the events they publish and the stored answers of idempotent creates.</summary>
public sealed class ApiDbContext : DbContext
{
    public ApiDbContext(DbContextOptions<ApiDbContext> options)
        : base(options)
    {
        Database.DisableAutomaticSavepoints();
    }

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Review> Reviews => Set<Review>();

    /// <summary>The answers of creates sent with an <c>Idempotency-Key</c> (<see cref="IdempotencyStore"/>).</summary>
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    /// <summary>
    /// Options the app and the design-time factory must share (not OnConfiguring: Aspire pools the context,
    /// and a pooled context may not change its options there).
    /// </summary>
    public static void ConfigureOptions(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
        modelBuilder.AddOutbox();
    }
}
