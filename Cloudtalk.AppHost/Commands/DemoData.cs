using System.Globalization;

namespace Cloudtalk.AppHost.Commands;

/// <summary>A review of the demo data set, as the Api's <c>POST /api/reviews</c> takes it (without the product id).</summary>
public sealed record DemoReview(string FirstName, string? LastName, string ReviewText, int Rating);

/// <summary>A product of the demo data set, as the Api's <c>POST /api/products</c> takes it, with its reviews.</summary>
public sealed record DemoProduct(string Name, string Description, decimal Price, IReadOnlyList<DemoReview> Reviews);

/// <summary>
/// The demo data set of the dashboard's load-demo-data command: products with realistic names, descriptions and
/// prices, each with 1-8 reviews. Built from small word lists with a fixed seed, so every load is the same data set;
/// 120 products are three pages at limit 50.
/// </summary>
public static class DemoData
{
    public const int ProductCount = 120;

    private const int Seed = 20261125;

    private static readonly string[] Materials =
        ["Oak", "Walnut", "Bamboo", "Steel", "Ceramic", "Linen", "Wool", "Copper", "Glass", "Recycled"];

    private static readonly (string Item, string Use, decimal MinPrice, decimal MaxPrice)[] Items =
    [
        ("desk lamp", "warm, glare-free light for late work", 25m, 140m),
        ("reading chair", "long evenings with a book", 180m, 900m),
        ("coffee mug", "the first coffee of the day", 8m, 35m),
        ("bookshelf", "a growing library", 90m, 600m),
        ("wall clock", "a quiet kitchen or office", 20m, 160m),
        ("throw blanket", "cold nights on the sofa", 30m, 180m),
        ("cutting board", "everyday cooking", 15m, 90m),
        ("plant pot", "herbs on the windowsill", 10m, 70m),
        ("headphone stand", "a tidy desk", 12m, 60m),
        ("serving tray", "breakfast in bed", 18m, 110m),
        ("storage box", "cables, chargers and the rest", 9m, 55m),
        ("side table", "a lamp and a cup next to the sofa", 60m, 350m),
    ];

    private static readonly string[] Finishes =
        ["Hand-finished", "Made to last", "Designed in small batches", "Easy to clean", "Sustainably sourced"];

    private static readonly string[] FirstNames =
    [
        "Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
        "Radia", "Tim", "Hedy", "John", "Katherine", "Niklaus", "Sophie", "Guido", "Anita", "Bjarne",
    ];

    private static readonly string?[] LastNames =
        ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", null, "Liskov", "Thompson", "Allen", null, "Perlman"];

    // Index = rating - 1: the text matches the stars.
    private static readonly string[][] Texts =
    [
        ["Broke within a week. Disappointed.", "Not as pictured, sent it back.", "Poor quality for the price."],
        ["Works, but feels cheap.", "Took ages to arrive and one part was missing.", "Expected more."],
        ["Does the job, nothing special.", "Decent, though the colour is off.", "Fine for the price."],
        ["Very nice, would buy again.", "Solid and looks good in our living room.", "Good value; small scratch on delivery."],
        ["Absolutely love it!", "Exactly what I was looking for.", "Beautiful craftsmanship, five stars.", "Bright enough and perfectly made."],
    ];

    /// <summary>The data set, always the same.</summary>
    public static IReadOnlyList<DemoProduct> Products { get; } = Build();

    /// <summary>How many reviews the data set holds in all.</summary>
    public static int ReviewCount => Products.Sum(product => product.Reviews.Count);

    private static List<DemoProduct> Build()
    {
        // A seeded System.Random gives the same sequence on every run and platform.
        var random = new Random(Seed);
        var products = new List<DemoProduct>(ProductCount);
        for (var index = 0; index < ProductCount; index++)
        {
            var material = Materials[index % Materials.Length];
            var (item, use, minPrice, maxPrice) = Items[index / Materials.Length % Items.Length];
            var name = $"{material} {item}";
            var description = $"{Finishes[random.Next(Finishes.Length)]}: a {material.ToLowerInvariant()} {item} for {use}.";
            var cents = random.Next((int)(minPrice * 100), (int)(maxPrice * 100) + 1);
            // Shop prices: whole or .50 or .99, always at most 2 decimals as the Api requires.
            var price = decimal.Round(cents / 100m, 0) + (random.Next(3) switch { 0 => 0m, 1 => 0.5m, _ => 0.99m });

            // Each product has a typical sentiment, so averages spread across the range.
            var typical = 1 + random.Next(5);
            var reviews = new List<DemoReview>();
            for (var count = 1 + random.Next(8); count > 0; count--)
            {
                var rating = Math.Clamp(typical + random.Next(-1, 2), 1, 5);
                var texts = Texts[rating - 1];
                reviews.Add(new DemoReview(
                    FirstNames[random.Next(FirstNames.Length)],
                    LastNames[random.Next(LastNames.Length)],
                    texts[random.Next(texts.Length)],
                    rating));
            }

            products.Add(new DemoProduct(name, description, price, reviews));
        }

        return products;
    }

    internal static string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Products.Count} products and {ReviewCount} reviews");
}
