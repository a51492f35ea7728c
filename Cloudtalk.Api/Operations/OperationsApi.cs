using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

// In the namespace of MapGet and MapHealthChecks, so that Program.cs maps it with one line and no using
// (Program.cs is shared with other work in progress).
namespace Microsoft.AspNetCore.Builder;

/// <summary>Read-only checks for operators (the dashboard's check-ratings command calls them too).</summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/operations").WithTags("Operations");

        api.MapGet("rating-reconciliation", CheckRatings)
            .WithName("CheckRatingReconciliation")
            .WithSummary("Check every product's rating against its reviews")
            .WithDescription("Recomputes each product's review count and exact mean rating from the reviews in the Api's " +
                "database (PostgreSQL, not the cache) and lists the products whose served `averageRating` or " +
                "`reviewCount` differ (count unequal, or means more than 1e-9 apart). Expected: no mismatch once the " +
                "last write has settled. Read-only; it reads every product, so it is meant for operators, not for clients.");

        return app;
    }

    public static async Task<Ok<RatingReconciliationReport>> CheckRatings(ApiDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await RatingReconciliation.RunAsync(db, cancellationToken));
}
