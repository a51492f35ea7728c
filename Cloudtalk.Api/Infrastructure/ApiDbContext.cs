using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products, reviews and the outbox of the events they publish.</summary>
public sealed class ApiDbContext : DbContext
{
    public ApiDbContext(DbContextOptions<ApiDbContext> options)
        : base(options)
    {
        // Every transaction in this service is retried whole by the execution strategy and never goes on after a
        // failed SaveChanges, so EF's automatic savepoint around each SaveChanges in a transaction (a SAVEPOINT and a
        // RELEASE, and a PostgreSQL subtransaction for the rows written after it) would cost every write and buy
        // nothing. Set here, so pooled instances keep it (Persistence/NoSavepointTests checks that in Rating).
        Database.AutoSavepointsEnabled = false;
    }

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Review> Reviews => Set<Review>();

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
