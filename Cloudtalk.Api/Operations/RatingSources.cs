using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Common.Reconciliation;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Operations;

/// <summary>Reads a range of products with their reviews' ratings from PostgreSQL (never the cache).</summary>
public static class RatingSources
{
    public static async Task<RatingSourceRange> ReadAsync(ApiDbContext db, RatingSourceRequest request, CancellationToken cancellationToken)
    {
        // One query (products LEFT JOIN reviews), hence one snapshot: Rating relies on seeing every review that was
        // committed before this read started.
        var products = await db.Products.AsNoTracking()
            .Where(product => product.Id > request.AfterProductId && product.Id <= request.ThroughProductId)
            .OrderBy(product => product.Id)
            .Select(product => new ProductRatingSource(
                product.Id,
                product.RatingVersion,
                product.Reviews.OrderBy(review => review.Id)
                    .Select(review => new ReviewRatingSource(review.Id, review.Rating, review.Version))
                    .ToList()))
            .ToListAsync(cancellationToken);
        var nextProductId = await db.Products
            .Where(product => product.Id > request.ThroughProductId)
            .MinAsync(product => (long?)product.Id, cancellationToken);
        return new RatingSourceRange(products, nextProductId);
    }
}
