using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products and reviews (later also the outbox).</summary>
public sealed class ApiDbContext(DbContextOptions<ApiDbContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<Review> Reviews => Set<Review>();

    // Here rather than at registration, so the app and the design-time factory cannot disagree on names.
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
}
