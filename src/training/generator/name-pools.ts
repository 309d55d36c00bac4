/** Made-up names the simulated company, its customers and its vendors are built from. */

export const FIRST_NAMES = [
  'Aaliyah', 'Aarav', 'Abel', 'Ada', 'Adrian', 'Aiko', 'Alejandro', 'Alice', 'Amara', 'Amir', 'Ana', 'Andrei',
  'Anika', 'Arjun', 'Astrid', 'Ben', 'Bianca', 'Bilal', 'Camila', 'Carlos', 'Chen', 'Chloe', 'Chidi', 'Clara',
  'Dan', 'Daria', 'David', 'Deepa', 'Diego', 'Dmitri', 'Elena', 'Eli', 'Emeka', 'Emma', 'Erik', 'Fatima',
  'Felix', 'Fiona', 'Gabriel', 'Grace', 'Hana', 'Hannah', 'Hassan', 'Henrik', 'Ines', 'Isaac', 'Ivan', 'Jack',
  'James', 'Jana', 'Javier', 'Jin', 'Joao', 'Jonas', 'Julia', 'Kai', 'Karim', 'Kate', 'Kenji', 'Kofi', 'Lara',
  'Leah', 'Lena', 'Leo', 'Liam', 'Lin', 'Lucas', 'Lucia', 'Maya', 'Mateo', 'Mei', 'Mia', 'Miguel', 'Mohammed',
  'Nadia', 'Naomi', 'Nikhil', 'Nina', 'Noah', 'Nora', 'Olga', 'Omar', 'Oscar', 'Paula', 'Pedro', 'Priya',
  'Rafael', 'Rahul', 'Rania', 'Ravi', 'Rosa', 'Ruth', 'Sakura', 'Samir', 'Sara', 'Sean', 'Sofia', 'Sven',
  'Tariq', 'Tess', 'Theo', 'Tomas', 'Uma', 'Valentina', 'Victor', 'Wei', 'Yara', 'Yusuf', 'Zara', 'Zoe',
] as const;

export const LAST_NAMES = [
  'Abe', 'Adeyemi', 'Alvarez', 'Andersson', 'Bauer', 'Becker', 'Bianchi', 'Brooks', 'Castillo', 'Chen', 'Costa',
  'Dalton', 'Das', 'Dubois', 'Eriksen', 'Farouk', 'Fischer', 'Fontaine', 'Garcia', 'Gupta', 'Haddad', 'Hansen',
  'Hernandez', 'Hoffmann', 'Ibrahim', 'Ito', 'Jansen', 'Johansson', 'Kang', 'Kaur', 'Keller', 'Khan', 'Kim',
  'Kowalski', 'Kumar', 'Larsen', 'Laurent', 'Lee', 'Lindqvist', 'Lopez', 'Mahmoud', 'Martin', 'Mendes',
  'Meyer', 'Moreau', 'Morris', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Okonkwo', 'Olsen', 'Ortiz', 'Park',
  'Patel', 'Petrov', 'Popescu', 'Quinn', 'Rahman', 'Ramos', 'Reyes', 'Rossi', 'Russo', 'Sato', 'Schmidt',
  'Shah', 'Silva', 'Singh', 'Sokolov', 'Suzuki', 'Tan', 'Taylor', 'Thompson', 'Torres', 'Tran', 'Varga',
  'Vasquez', 'Wagner', 'Walsh', 'Wang', 'Weber', 'Wilson', 'Wong', 'Yamada', 'Yilmaz', 'Zhang', 'Zimmermann',
] as const;

export const COMPANY_WORDS = [
  'Alder', 'Apex', 'Arbor', 'Atlas', 'Aurora', 'Basalt', 'Beacon', 'Birch', 'Bluepeak', 'Boreal', 'Brightwater',
  'Cardinal', 'Cedar', 'Cobalt', 'Copperline', 'Corvid', 'Crescent', 'Delta', 'Driftwood', 'Ember', 'Evergreen',
  'Falcon', 'Fjord', 'Foxglove', 'Granite', 'Harbor', 'Helios', 'Heron', 'Horizon', 'Indigo', 'Ironwood',
  'Juniper', 'Kestrel', 'Keystone', 'Lakeshore', 'Lantern', 'Larkspur', 'Lumen', 'Magnolia', 'Maple', 'Meridian',
  'Nimbus', 'Northstar', 'Oakridge', 'Onyx', 'Orchid', 'Osprey', 'Pinnacle', 'Prairie', 'Quarry', 'Quill',
  'Redwood', 'Ridgeline', 'Riverbend', 'Saffron', 'Sequoia', 'Silverline', 'Solstice', 'Sparrow', 'Summit',
  'Tamarack', 'Tidewater', 'Timber', 'Topaz', 'Trillium', 'Vantage', 'Verdant', 'Willow', 'Zephyr',
] as const;

export const COMPANY_SUFFIXES = [
  'Logistics', 'Health', 'Retail', 'Energy', 'Foods', 'Labs', 'Systems', 'Capital', 'Media', 'Robotics',
  'Biotech', 'Insurance', 'Freight', 'Hospitality', 'Manufacturing', 'Telecom', 'Software', 'Partners',
  'Pharma', 'Mobility', 'Outdoors', 'Education', 'Analytics', 'Devices',
] as const;

export const CONTACT_TITLES = [
  'VP Engineering', 'Head of Data', 'CTO', 'Procurement Manager', 'IT Director', 'Finance Director',
  'Operations Lead', 'Data Engineer', 'Analytics Manager', 'CFO', 'Head of Customer Success', 'Security Officer',
] as const;

export const VENDOR_NAMES = [
  'Brightdesk Office Supply', 'Cloudnest Hosting', 'Kestrel Legal LLP', 'Ferrow Translation', 'Nordlight Facilities',
  'Parcelworks Couriers', 'Quanta Recruiting', 'Redline Security Audits', 'Stratus Data Labeling', 'Tallis Print',
  'Umber Catering', 'Vexa Design Studio', 'Willowbank Consulting', 'Yardley Insurance Brokers', 'Zenith Travel',
  'Atrium Coworking', 'Bolt Fiber', 'Coral Payroll Services', 'Dunmore Tax Advisors', 'Elmstead Furniture',
  'Fathom Research', 'Glasswing Events', 'Halcyon Benefits', 'Inkwell Copywriting', 'Juno Telecom',
  'Kinetic Hardware', 'Lumos Training', 'Mosaic Marketing', 'Northgate Cleaning', 'Orbit Software Licensing',
] as const;
