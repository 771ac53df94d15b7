"""Word lists for the book generator (bench/generate.py). Plain data; the order matters (it is the Zipf rank)."""

# Title nouns, roughly most to least frequent. "garden" (rank 0) is the benchmark's common word.
NOUNS = """
garden river night house shadow city sea war heart stone light king winter road fire island star
mountain storm daughter forest child dream silence empire moon wind queen glass bridge voice
secret name memory song world tower harbor crown sister brother rain season summer ocean valley
kingdom letter promise journey truth map lantern door window field orchard lake shore desert
winterland hunter keeper traveler stranger widow soldier captain doctor teacher thief
painter poet angel ghost wolf raven fox horse lion dragon serpent falcon sparrow swan tiger bear
rose lily willow oak pine ash iron silver gold copper salt bread wine honey milk blood bone ink
paper clock mirror key compass anchor sail ship train station village town castle palace temple
church abbey library museum school market street square park cellar attic kitchen room bed table
chair book story tale legend myth history chronicle atlas almanac guide handbook diary journal
ballad hymn requiem symphony sonata dance game puzzle riddle code cipher signal echo whisper
cry laughter tears smile kiss touch hand eye face mask sword shield arrow spear bow
flame ember spark smoke dust snow ice frost thunder lightning cloud sky horizon dawn dusk
morning evening midnight hour day week year century age era past future moment eternity
""".split()

ADJECTIVES = """
silent lost last dark golden hidden broken little secret long forgotten wild bright quiet
distant burning cold endless small great final first second strange lonely deep empty hollow
ancient new old young red black white blue green grey crimson scarlet amber silver iron stone
glass paper secondhand borrowed stolen true false sweet bitter gentle cruel brave fearless
restless sleeping waking dying living frozen drowned fallen rising northern southern eastern
western inner outer upper lower narrow wide open closed private public modern ordinary curious
invisible impossible improbable remarkable beautiful terrible wonderful dangerous patient
""".split()

FIRST_NAMES = """
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Dorothy Kevin Carol Brian Amanda George Melissa Edward Deborah Ronald
Stephanie Timothy Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Shirley Eric Angela Jonathan Helen Stephen Anna Larry Brenda Justin Pamela Scott
Nicole Brandon Emma Benjamin Samantha Samuel Katherine Gregory Christine Frank Debra
Alexander Rachel Raymond Catherine Patrick Carolyn Jack Janet Dennis Ruth Jerry Maria Tyler
Heather Aaron Diane Jose Virginia Adam Julie Henry Joyce Nathan Victoria Douglas Olivia Zachary
Kelly Peter Christina Kyle Lauren Walter Joan Ethan Evelyn Jeremy Judith Harold Megan Keith
Cheryl Christian Andrea Roger Hannah Noah Martha Gerald Jacqueline Carl Frances Terry Gloria
Sean Ann Austin Teresa Arthur Kathryn Lawrence Sara Jesse Janice Dylan Jean Bryan Alice Joe
Madison Jordan Doris Billy Abigail Bruce Julia Albert Judy Willie Grace Gabriel Denise Logan
Amber Alan Marilyn Juan Beverly Wayne Danielle Roy Theresa Ralph Sophia Randy Marie Eugene Diana
Vincent Brittany Russell Natalie Elijah Isabella Louis Charlotte Bobby Rose Philip Alexis
Johnny Kayla Ingrid Lars Astrid Sven Hanna Jonas Elena Marco Giulia Luca Sofia Pierre Camille
Hugo Claire Louis Amelie Jens Katrin Hiroshi Yuki Kenji Aiko Wei Mei Arjun Priya Ravi Ana
Pedro Lucia Diego Carmen Mateo Ines Tomasz Agnieszka Piotr Olga Ivan Natasha Dmitri Irina
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter
Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Hansen Larsen Lindqvist Berg Dubois Moreau Lefebvre Rossi Bianchi Ferrari Romano Muller
Schneider Fischer Weber Becker Tanaka Suzuki Watanabe Yamamoto Wang Zhang Liu Novak Kowalski
Nowak Ivanov Petrov Sokolov Andersson Nilsson Eriksson Jansen Visser Bakker Okafor Mensah
""".split()

SUBJECTS = """
Fiction|Fantasy|Science fiction|Mystery|Thriller|Romance|Historical fiction|Horror|Poetry|Drama|
Short stories|Classics|Adventure|Crime|Young adult|Children's books|Picture books|Graphic novels|
Humor|Biography|Autobiography|Memoir|History|Ancient history|Medieval history|Modern history|
Military history|Politics|Economics|Business|Management|Finance|Law|Philosophy|Religion|
Mythology|Psychology|Sociology|Anthropology|Archaeology|Education|Linguistics|Languages|
Literary criticism|Art|Art history|Photography|Architecture|Design|Music|Film|Theatre|Dance|
Travel|Geography|Maps|Nature|Gardening|Animals|Birds|Botany|Ecology|Environment|Climate|
Science|Physics|Chemistry|Biology|Astronomy|Geology|Oceanography|Mathematics|Statistics|
Computer science|Programming|Engineering|Technology|Medicine|Health|Nutrition|Cooking|Sports|
Games|Crafts|Hobbies|Home|Parenting|Family|Self-help|Essays|Journalism|Reference|Dictionaries|
Encyclopedias|Local history|Folklore|Women's studies|Cultural studies|Urban studies|Transport
""".replace("\n", "").split("|")

PUBLISHER_WORDS = """
Harbor Northwind Lantern Meridian Oakleaf Riverside Blackbird Greystone Silverline Hollow Pine
Beacon Compass Fieldstone Juniper Kestrel Larkspur Mariner Nightjar Orchard Quarry Redwood
Saltmarsh Tidewater Underwood Vantage Wren Yarrow Aster Bramble Cedar Driftwood Ember Foxglove
""".split()
PUBLISHER_SUFFIXES = ["Press", "Books", "House", "Publishing", "& Sons", "Editions", "University Press", "Media"]

# Languages (ISO 639-1) with weights: mostly English.
LANGUAGES = [("en", 780), ("fr", 40), ("de", 40), ("es", 40), ("it", 20), ("pt", 15), ("nl", 12), ("sv", 8),
             ("da", 5), ("no", 5), ("fi", 4), ("pl", 6), ("ru", 8), ("ja", 7), ("zh", 6), ("ar", 2), ("la", 2)]

# Descriptions: "A {adj} {noun} about ..." built from these.
DESCRIPTION_OPENINGS = ["A", "An unforgettable", "A moving", "A sweeping", "A witty", "A careful", "A short",
                        "A vivid", "A quiet", "A definitive", "A practical", "A gripping"]
DESCRIPTION_KINDS = ["novel", "account", "study", "history", "collection", "portrait", "guide", "memoir",
                     "introduction", "tale", "survey", "chronicle"]
DESCRIPTION_TOPICS = """
love loss courage family friendship betrayal exile faith ambition grief hope war peace memory
childhood identity power freedom justice revolution science discovery nature cities trade sailors
farmers migrants artists soldiers scientists kings queens children animals machines
""".split()
DESCRIPTION_PLACES = """
Lisbon Vienna Kyoto Lagos Oslo Cairo Dublin Prague Quebec Naples Bombay Havana Patagonia Siberia
Provence Bengal Anatolia Tasmania Yorkshire Bavaria Sicily Manchuria Andalusia Flanders
""".split()
DESCRIPTION_SECOND = [
    "It follows {name} over {n} years.", "Includes maps, notes and an index.", "Winner of the {adj} {noun} prize.",
    "Translated from the original for the first time.", "With a new introduction by the author.",
    "Now in a revised edition.", "Told in {n} chapters.", "Based on {adj} letters and diaries.",
]
