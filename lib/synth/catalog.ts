/**
 * The fixed vocabulary of the synthetic shop: categories with their price
 * ranges, cities with their states, payment methods and age groups, with
 * weights. Names, streets and brands come from Faker.
 *
 * @module
 */

/** A product category with a plausible price range in dollars. */
export interface Category {
  name: string;
  subCategories: string[];
  nouns: string[];
  minPrice: number;
  maxPrice: number;
  /** Share of the catalogue. */
  weight: number;
}

export const CATEGORIES: Category[] = [
  {
    name: "Electronics",
    subCategories: [
      "Smartphones",
      "Laptops",
      "Headphones",
      "Cameras",
      "Accessories",
    ],
    nouns: [
      "Phone",
      "Laptop",
      "Headphones",
      "Camera",
      "Charger",
      "Speaker",
      "Monitor",
      "Tablet",
    ],
    minPrice: 15,
    maxPrice: 1800,
    weight: 16,
  },
  {
    name: "Clothing",
    subCategories: ["Men", "Women", "Kids", "Shoes"],
    nouns: [
      "Shirt",
      "Jacket",
      "Jeans",
      "Dress",
      "Sneakers",
      "Hoodie",
      "Sweater",
      "Boots",
    ],
    minPrice: 8,
    maxPrice: 220,
    weight: 18,
  },
  {
    name: "Home & Kitchen",
    subCategories: ["Furniture", "Appliances", "Cookware", "Decor"],
    nouns: [
      "Chair",
      "Blender",
      "Pan",
      "Lamp",
      "Table",
      "Kettle",
      "Rug",
      "Knife Set",
    ],
    minPrice: 10,
    maxPrice: 900,
    weight: 15,
  },
  {
    name: "Books",
    subCategories: ["Fiction", "Non-Fiction", "Education", "Comics"],
    nouns: ["Novel", "Guide", "Handbook", "Anthology", "Workbook", "Atlas"],
    minPrice: 5,
    maxPrice: 70,
    weight: 12,
  },
  {
    name: "Sports & Outdoors",
    subCategories: ["Fitness", "Camping", "Cycling", "Team Sports"],
    nouns: [
      "Dumbbells",
      "Tent",
      "Helmet",
      "Ball",
      "Yoga Mat",
      "Backpack",
      "Bike Pump",
    ],
    minPrice: 8,
    maxPrice: 600,
    weight: 12,
  },
  {
    name: "Beauty & Personal Care",
    subCategories: ["Skincare", "Makeup", "Haircare", "Fragrance"],
    nouns: [
      "Serum",
      "Lipstick",
      "Shampoo",
      "Perfume",
      "Moisturizer",
      "Hair Dryer",
    ],
    minPrice: 4,
    maxPrice: 160,
    weight: 10,
  },
  {
    name: "Toys & Games",
    subCategories: ["Board Games", "Puzzles", "Action Figures", "Educational"],
    nouns: [
      "Board Game",
      "Puzzle",
      "Figure",
      "Building Set",
      "Doll",
      "Card Game",
    ],
    minPrice: 5,
    maxPrice: 130,
    weight: 9,
  },
  {
    name: "Grocery",
    subCategories: ["Snacks", "Beverages", "Pantry", "Organic"],
    nouns: [
      "Coffee",
      "Tea",
      "Granola",
      "Olive Oil",
      "Chocolate",
      "Pasta",
      "Honey",
    ],
    minPrice: 2,
    maxPrice: 45,
    weight: 8,
  },
];

/** US cities with their state and a rough weight by population. */
export const CITIES: Array<[city: string, state: string, weight: number]> = [
  ["New York", "New York", 84],
  ["Buffalo", "New York", 3],
  ["Los Angeles", "California", 39],
  ["San Francisco", "California", 9],
  ["San Diego", "California", 14],
  ["San Jose", "California", 10],
  ["Sacramento", "California", 5],
  ["Chicago", "Illinois", 27],
  ["Springfield", "Illinois", 1],
  ["Houston", "Texas", 23],
  ["Dallas", "Texas", 13],
  ["Austin", "Texas", 10],
  ["San Antonio", "Texas", 14],
  ["Phoenix", "Arizona", 16],
  ["Tucson", "Arizona", 5],
  ["Philadelphia", "Pennsylvania", 16],
  ["Pittsburgh", "Pennsylvania", 3],
  ["Jacksonville", "Florida", 9],
  ["Miami", "Florida", 4],
  ["Tampa", "Florida", 4],
  ["Orlando", "Florida", 3],
  ["Columbus", "Ohio", 9],
  ["Cleveland", "Ohio", 4],
  ["Charlotte", "North Carolina", 9],
  ["Raleigh", "North Carolina", 5],
  ["Indianapolis", "Indiana", 9],
  ["Seattle", "Washington", 7],
  ["Spokane", "Washington", 2],
  ["Denver", "Colorado", 7],
  ["Boston", "Massachusetts", 7],
  ["Nashville", "Tennessee", 7],
  ["Memphis", "Tennessee", 6],
  ["Detroit", "Michigan", 6],
  ["Portland", "Oregon", 6],
  ["Las Vegas", "Nevada", 6],
  ["Baltimore", "Maryland", 6],
  ["Milwaukee", "Wisconsin", 6],
  ["Albuquerque", "New Mexico", 6],
  ["Atlanta", "Georgia", 5],
  ["Kansas City", "Missouri", 5],
  ["St. Louis", "Missouri", 3],
  ["Minneapolis", "Minnesota", 4],
  ["New Orleans", "Louisiana", 4],
  ["Salt Lake City", "Utah", 2],
  ["Omaha", "Nebraska", 5],
  ["Louisville", "Kentucky", 6],
  ["Oklahoma City", "Oklahoma", 7],
  ["Richmond", "Virginia", 2],
  ["Newark", "New Jersey", 3],
  ["Honolulu", "Hawaii", 3],
  ["Anchorage", "Alaska", 3],
  ["Boise", "Idaho", 2],
  ["Des Moines", "Iowa", 2],
  ["Hartford", "Connecticut", 1],
  ["Birmingham", "Alabama", 2],
];

/** Payment methods as the contract spells them, with their shares. */
export const PAYMENT_METHODS: Array<[name: string, weight: number]> = [
  ["Credit Card", 34],
  ["Debit Card", 21],
  ["UPI", 14],
  ["PayPal", 12],
  ["Net Banking", 8],
  ["Cash on Delivery", 11],
];

/** Ways real exports misspell payment methods; cleansing maps them back. */
export const PAYMENT_MISSPELLINGS: Record<string, string[]> = {
  "Credit Card": ["credit card", "CREDIT_CARD", "CreditCard"],
  "Debit Card": ["debit card", "DEBIT CARD", "Debit-Card"],
  "UPI": ["upi", "U.P.I."],
  "PayPal": ["Paypal", "PAYPAL", "pay pal"],
  "Net Banking": ["netbanking", "Net-Banking"],
  "Cash on Delivery": ["COD", "cash on delivery", "Cash-On-Delivery"],
};

/** The contract's age groups with their shares. */
export const AGE_GROUPS: Array<[name: string, weight: number]> = [
  ["18-25", 19],
  ["26-35", 31],
  ["36-45", 25],
  ["46-60", 17],
  ["60+", 8],
];

export const EMAIL_DOMAINS = [
  "gmail.com",
  "yahoo.com",
  "outlook.com",
  "icloud.com",
  "hotmail.com",
  "proton.me",
  "aol.com",
];
