using System.Globalization;
using Cloudtalk.Common.Caching;

namespace Cloudtalk.Api.Products;

/// <summary>
/// The cache scopes of the Api. A product write invalidates the product and the list pages, a review
/// write the product's review pages, a product delete all three (and
/// <c>RatingUpdatedHandler</c> the list pages when a rating changes, replacing the product's entry with its new answer).
/// </summary>
public static class ProductCacheScopes
{
    public static readonly CacheScope List = new("products:list");

    public static CacheScope Item(long productId) =>
        new(string.Create(CultureInfo.InvariantCulture, $"product:{productId}"));

    public static CacheScope Reviews(long productId) =>
        new(string.Create(CultureInfo.InvariantCulture, $"product:{productId}:reviews"));
}
