using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>For <c>dotnet ef</c> only: builds the model without the host (no database connection is opened).</summary>
public sealed class RatingDbContextFactory : IDesignTimeDbContextFactory<RatingDbContext>
{
    public RatingDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RatingDbContext>()
            .UseNpgsql("Host=localhost;Database=ratingdb")
            .Options);
}
